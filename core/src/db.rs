//! Backend differences, kept in one place, and the scoped transaction every call runs in.
//!
//! On PostgreSQL each transaction sets the row-level-security scope with
//! `set_config(…, true)`: transaction-local, so a pooled connection can never carry one
//! tenant's scope into another's transaction.

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Whose rows a transaction may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Tenant(Uuid),
    /// Cross-tenant work of the engine itself: tenant administration, the queue's claim,
    /// retention. Never reachable from a session.
    System,
}

/// Opens a transaction in `scope`. On SQLite it is `BEGIN IMMEDIATE`: SQLite has one writer,
/// and a deferred transaction that reads and then writes fails with SQLITE_BUSY when
/// another writer got in between; an immediate one waits its turn (busy timeout) instead.
pub(crate) async fn begin(db: &DatabaseConnection, scope: Scope) -> Result<DatabaseTransaction> {
    let tx = if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?
    } else {
        db.begin().await?
    };
    set_scope(&tx, scope).await?;
    Ok(tx)
}

pub(crate) async fn set_scope<C: ConnectionTrait>(conn: &C, scope: Scope) -> Result<()> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let (tenant, system) = match scope {
        Scope::Tenant(t) => (t.to_string(), ""),
        Scope::System => (String::new(), "system"),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('resumeflow.tenant_id', $1, true), set_config('resumeflow.scope', $2, true)",
        [tenant.into(), system.into()],
    ))
    .await?;
    Ok(())
}

/// The pools of one database: `db` for reads and the host's own queries, `writer` for
/// write transactions.
pub(crate) struct Pools {
    pub db: DatabaseConnection,
    pub writer: DatabaseConnection,
}

/// Connects to `url` (`postgres://…`, `sqlite://…`), with settings that suit the backend.
///
/// A SQLite file gets two pools: readers, and a writer of one connection. SQLite admits
/// one writer at a time anyway; with several writer connections the losers of each race
/// sleep in SQLite's busy handler (1, 2, 5, 10 … ms), which made write throughput depend
/// on luck. One writer connection turns that race into a fair async queue in the pool.
/// Other processes on the same file still meet the busy timeout, as before.
pub(crate) async fn connect(url: &str) -> Result<Pools> {
    let is_sqlite = url.starts_with("sqlite:");
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let db = open(url, is_sqlite && in_memory).await?;
    let writer = if is_sqlite && !in_memory {
        open(url, true).await?
    } else {
        db.clone()
    };
    Ok(Pools { db, writer })
}

/// One pool; `single` limits it to one connection.
async fn open(url: &str, single: bool) -> Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(std::time::Duration::from_secs(30));
    let is_sqlite = url.starts_with("sqlite:");
    if single {
        // Every pooled connection to an in-memory database would open a database of its
        // own; the writer pool is one connection by design.
        opts.max_connections(1).min_connections(1);
    }
    #[cfg(feature = "sqlite")]
    if is_sqlite {
        // On every pooled connection: WAL (readers beside the one writer) with
        // synchronous=NORMAL, which syncs at checkpoints rather than at every commit. A
        // killed process loses nothing committed; a power cut may lose the last
        // commits but never corrupts the file. Writers of other processes queue for up
        // to 30 s.
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(30))
        });
    }
    let db = Database::connect(opts)
        .await
        .map_err(|e| Error::Config(format!("cannot connect to {}: {e}", redact_url(url))))?;
    if is_sqlite {
        prepare_sqlite(&db).await?;
    }
    Ok(db)
}

/// WAL lets readers run beside the one writer SQLite allows.
pub(crate) async fn prepare_sqlite(db: &DatabaseConnection) -> Result<()> {
    db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    db.execute_unprepared("PRAGMA foreign_keys=ON").await?;
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Placeholders for hand-written SQL, in order: `$1, $2, …` on PostgreSQL, `?` on SQLite
/// (which numbers `?` by position, so each value is bound where it is used).
pub(crate) struct Placeholders {
    pg: bool,
    n: usize,
}

impl Placeholders {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            pg: backend == DbBackend::Postgres,
            n: 0,
        }
    }

    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        if self.pg {
            format!("${}", self.n)
        } else {
            "?".to_owned()
        }
    }

    /// `(p, p, …)` with `k` placeholders.
    pub(crate) fn tuple(&mut self, k: usize) -> String {
        let marks: Vec<String> = (0..k).map(|_| self.next()).collect();
        format!("({})", marks.join(", "))
    }
}

/// Multi-row inserts that belong together in one transaction. On SQLite, one statement per
/// table. On PostgreSQL, one statement for all of them: every insert but the last is a
/// data-modifying CTE (`WITH c0 AS (INSERT …), … INSERT …`), which saves a round trip
/// (and the server's per-statement work) per table. Foreign keys are checked at the end
/// of that statement, so a row may reference one inserted beside it.
#[derive(Default)]
pub(crate) struct Inserts {
    stmts: Vec<sea_orm::sea_query::InsertStatement>,
}

/// Parameters PostgreSQL takes in one statement at most (65535), with room to spare.
const PG_MAX_PARAMS: usize = 60_000;

impl Inserts {
    /// Adds the insert of `rows` (nothing when empty).
    pub(crate) fn add<A>(&mut self, rows: Vec<A>)
    where
        A: sea_orm::ActiveModelTrait,
    {
        use sea_orm::{EntityTrait, QueryTrait};
        if !rows.is_empty() {
            self.stmts
                .push(<A::Entity as EntityTrait>::insert_many(rows).into_query());
        }
    }

    /// Runs the inserts, in the order they were added.
    pub(crate) async fn exec<C: ConnectionTrait>(self, conn: &C) -> Result<()> {
        let backend = conn.get_database_backend();
        if backend == DbBackend::Postgres && self.stmts.len() > 1 {
            let built: Vec<(String, sea_orm::sea_query::Values)> = self
                .stmts
                .iter()
                .map(|s| s.build(sea_orm::sea_query::PostgresQueryBuilder))
                .collect();
            if built.iter().map(|(_, v)| v.0.len()).sum::<usize>() <= PG_MAX_PARAMS {
                let last = built.len() - 1;
                let mut sql = String::new();
                let mut values = Vec::new();
                for (i, (part, vals)) in built.into_iter().enumerate() {
                    let part = renumber_pg_params(&part, values.len());
                    values.extend(vals.0);
                    if i < last {
                        sql.push_str(if i == 0 { "WITH " } else { ", " });
                        sql.push_str(&format!("c{i} AS ({part})"));
                    } else {
                        sql.push(' ');
                        sql.push_str(&part);
                    }
                }
                conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                    .await?;
                return Ok(());
            }
        }
        for s in &self.stmts {
            conn.execute_raw(backend.build(s)).await?;
        }
        Ok(())
    }
}

/// `sql` with every placeholder `$k` turned into `$(k + offset)`. sea-query binds every
/// value, so `$` followed by digits only ever is a placeholder in what it builds.
fn renumber_pg_params(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if !d.is_ascii_digit() {
                break;
            }
            end = j + 1;
            chars.next();
        }
        if end > start {
            let k: usize = sql[start..end].parse().expect("digits");
            out.push_str(&(k + offset).to_string());
        }
    }
    out
}

pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Runs an insert (usually an upsert) and returns `id` of the row it wrote, in one
/// statement (`RETURNING`, which PostgreSQL and SQLite ≥ 3.35 both have), instead of a
/// write followed by a read. `None` when the insert wrote nothing (`ON CONFLICT DO
/// NOTHING` met an existing row).
pub(crate) async fn insert_returning_id<C, A>(
    conn: &C,
    insert: sea_orm::Insert<A>,
    id: impl sea_orm::sea_query::IntoColumnRef,
) -> Result<Option<Uuid>>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::QueryTrait;
    let mut q = insert.into_query();
    q.returning_col(id);
    let backend = conn.get_database_backend();
    match conn.query_one_raw(backend.build(&q)).await? {
        Some(row) => Ok(Some(row.try_get_by_index::<Uuid>(0)?)),
        None => Ok(None),
    }
}

/// [`insert_returning_id`] for an upsert, which always writes a row.
pub(crate) async fn upsert_returning_id<C, A>(
    conn: &C,
    upsert: sea_orm::Insert<A>,
    id: impl sea_orm::sea_query::IntoColumnRef,
) -> Result<Uuid>
where
    C: ConnectionTrait,
    A: sea_orm::ActiveModelTrait,
{
    insert_returning_id(conn, upsert, id)
        .await?
        .ok_or_else(|| Error::Storage("an upsert returned no row".into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_renumbered() {
        assert_eq!(
            super::renumber_pg_params("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $10)", 4),
            "INSERT INTO t (a, b) VALUES ($5, $6), ($7, $14)"
        );
        assert_eq!(super::renumber_pg_params("SELECT $1", 0), "SELECT $1");
    }
}
