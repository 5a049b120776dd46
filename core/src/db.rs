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

/// `col IN (ids…)` as sea-query builds it on SQLite; on PostgreSQL `col = ANY($k)` with the
/// ids as one `uuid[]` parameter, so that the statement's text does not depend on how
/// many ids there are: one prepared statement and one generic plan per connection, instead
/// of a statement parsed and planned anew for every count (on a partitioned table the plan
/// can cost more than running it).
pub(crate) fn id_in(
    backend: DbBackend,
    col: impl sea_orm::sea_query::IntoColumnRef,
    ids: &[Uuid],
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, PgFunc};
    if backend == DbBackend::Postgres {
        Expr::col(col).eq(PgFunc::any(Expr::val(uuid_array(ids.iter().copied()))))
    } else {
        Expr::col(col).is_in(ids.iter().copied())
    }
}

/// A PostgreSQL `uuid[]` parameter.
pub(crate) fn uuid_array(ids: impl Iterator<Item = Uuid>) -> sea_orm::sea_query::Value {
    use sea_orm::sea_query::{ArrayType, Value};
    Value::Array(
        ArrayType::Uuid,
        Some(Box::new(ids.map(|u| Value::Uuid(Some(u))).collect())),
    )
}

/// A PostgreSQL `text[]` parameter.
pub(crate) fn text_array<'a>(items: impl Iterator<Item = &'a str>) -> sea_orm::sea_query::Value {
    use sea_orm::sea_query::{ArrayType, Value};
    Value::Array(
        ArrayType::String,
        Some(Box::new(
            items.map(|s| Value::String(Some(s.to_owned()))).collect(),
        )),
    )
}

/// Parameters PostgreSQL takes in one statement at most (65535), with room to spare.
const PG_MAX_PARAMS: usize = 60_000;

/// `sql` with every placeholder `$k` replaced by `f(k)`. sea-query binds every value, so
/// `$` followed by digits only ever is a placeholder in what it builds.
fn map_pg_params(sql: &str, mut f: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            out.push(c);
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
            out.push_str(&f(sql[start..end].parse().expect("digits")));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes that belong together in one transaction, in order, where a later one may store
/// the id an earlier one returned (a score's resolution points at the local score row its
/// upsert wrote, new or updated). On SQLite they run one after the other. On PostgreSQL
/// they are one statement: each write is a data-modifying CTE (`WITH c0 AS (INSERT …), …`),
/// and a reference to an earlier write's id becomes `(SELECT id FROM c{k})`, which reads
/// that CTE's `RETURNING` (the parts of one statement share a snapshot, so nothing else
/// would see the row it wrote). That saves a round trip, and the server's work per
/// statement, for every write but one. Foreign keys are checked at the end of the
/// statement, so a row may reference one inserted beside it (a resume's projects name its
/// experiences).
///
/// A reference is a placeholder id ([`Chain::returning`] hands it out) that the caller
/// sets where the real id belongs; it is replaced before anything is sent.
#[derive(Default)]
pub(crate) struct Chain {
    steps: Vec<ChainStep>,
}

struct ChainStep {
    stmt: ChainStmt,
    /// The returned id column, and the placeholder that stands for its value.
    returning: Option<(String, Uuid)>,
}

enum ChainStmt {
    Insert(sea_orm::sea_query::InsertStatement),
    Update(sea_orm::sea_query::UpdateStatement),
}

impl ChainStmt {
    fn build(&self, backend: DbBackend) -> (String, sea_orm::sea_query::Values) {
        let built = match self {
            ChainStmt::Insert(s) => backend.build(s),
            ChainStmt::Update(s) => backend.build(s),
        };
        (
            built.sql,
            built.values.unwrap_or(sea_orm::Values(Vec::new())),
        )
    }
}

impl Chain {
    /// Adds `insert` (usually an upsert, which always writes its row), returning `id`.
    /// Returns the placeholder that stands for that id in later writes.
    pub(crate) fn returning<A, I>(&mut self, insert: sea_orm::Insert<A>, id: I) -> Uuid
    where
        A: sea_orm::ActiveModelTrait,
        I: sea_orm::IdenStatic,
    {
        use sea_orm::QueryTrait;
        let mut q = insert.into_query();
        q.returning_col(sea_orm::sea_query::Alias::new(id.as_str()));
        let placeholder = Uuid::new_v4();
        self.steps.push(ChainStep {
            stmt: ChainStmt::Insert(q),
            returning: Some((id.as_str().to_owned(), placeholder)),
        });
        placeholder
    }

    /// Adds the insert of `rows`, which returns nothing (nothing when `rows` is empty).
    pub(crate) fn add<A>(&mut self, rows: Vec<A>)
    where
        A: sea_orm::ActiveModelTrait,
    {
        use sea_orm::{EntityTrait, QueryTrait};
        if !rows.is_empty() {
            self.steps.push(ChainStep {
                stmt: ChainStmt::Insert(<A::Entity as EntityTrait>::insert_many(rows).into_query()),
                returning: None,
            });
        }
    }

    /// Adds an update that returns nothing.
    pub(crate) fn update<E: sea_orm::EntityTrait>(&mut self, update: sea_orm::UpdateMany<E>) {
        use sea_orm::QueryTrait;
        self.steps.push(ChainStep {
            stmt: ChainStmt::Update(update.into_query()),
            returning: None,
        });
    }

    /// Runs the writes in order; returns the ids they returned, in the order of
    /// [`Chain::returning`].
    pub(crate) async fn exec<C: ConnectionTrait>(self, conn: &C) -> Result<Vec<Uuid>> {
        use sea_orm::sea_query::Value;
        let backend = conn.get_database_backend();
        // Which earlier write a placeholder stands for.
        let refers = |v: &Value, upto: usize| -> Option<usize> {
            let Value::Uuid(Some(u)) = v else {
                return None;
            };
            self.steps[..upto]
                .iter()
                .position(|s| s.returning.as_ref().is_some_and(|r| r.1 == *u))
        };
        let built: Vec<_> = self.steps.iter().map(|s| s.stmt.build(backend)).collect();
        let params: usize = built.iter().map(|(_, v)| v.0.len()).sum();
        if backend != DbBackend::Postgres || built.len() < 2 || params > PG_MAX_PARAMS {
            let mut ids: Vec<Option<Uuid>> = Vec::with_capacity(built.len());
            for (i, (step, (sql, mut values))) in self.steps.iter().zip(built).enumerate() {
                for v in values.0.iter_mut() {
                    if let Some(j) = refers(v, i) {
                        *v = Value::Uuid(ids[j]);
                    }
                }
                let stmt = Statement::from_sql_and_values(backend, sql, values);
                ids.push(match step.returning {
                    Some(_) => {
                        let row = conn.query_one_raw(stmt).await?.ok_or_else(|| {
                            Error::Storage("a write of a chain returned no row".into())
                        })?;
                        Some(row.try_get_by_index::<Uuid>(0)?)
                    }
                    None => {
                        conn.execute_raw(stmt).await?;
                        None
                    }
                });
            }
            return Ok(ids.into_iter().flatten().collect());
        }
        let mut sql = String::new();
        let mut values: Vec<Value> = Vec::with_capacity(params);
        for (i, (part, vals)) in built.into_iter().enumerate() {
            // Each placeholder of this part: an earlier CTE's id, or a value renumbered
            // after those already bound.
            let mut with: Vec<String> = Vec::with_capacity(vals.0.len());
            for v in vals.0 {
                match refers(&v, i) {
                    Some(j) => {
                        let col = &self.steps[j].returning.as_ref().expect("returns").0;
                        with.push(format!("(SELECT \"{col}\" FROM c{j})"));
                    }
                    None => {
                        values.push(v);
                        with.push(format!("${}", values.len()));
                    }
                }
            }
            let part = map_pg_params(&part, |k| with[k - 1].clone());
            sql.push_str(if i == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("c{i} AS ({part})"));
        }
        let returned: Vec<String> = self
            .steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.returning
                    .as_ref()
                    .map(|(col, _)| format!("(SELECT \"{col}\" FROM c{i})"))
            })
            .collect();
        if returned.is_empty() {
            sql.push_str(" SELECT 1");
        } else {
            sql.push_str(&format!(" SELECT {}", returned.join(", ")));
        }
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .ok_or_else(|| Error::Storage("a chain of writes returned no row".into()))?;
        (0..returned.len())
            .map(|k| {
                row.try_get_by_index::<Option<Uuid>>(k)?
                    .ok_or_else(|| Error::Storage("a write of a chain returned no row".into()))
            })
            .collect()
    }
}

pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_renumbered() {
        assert_eq!(
            super::map_pg_params("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $10)", |k| {
                format!("${}", k + 4)
            }),
            "INSERT INTO t (a, b) VALUES ($5, $6), ($7, $14)"
        );
        assert_eq!(
            super::map_pg_params("SELECT $1, $2, '$'", |k| format!("x{k}")),
            "SELECT x1, x2, '$'"
        );
    }
}
