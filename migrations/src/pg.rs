//! PostgreSQL-only DDL: row-level security, monthly partitions and their upkeep.
//!
//! Row-level security is the second wall behind the tenant filter that every query in core
//! carries. Policies read two per-transaction settings, always set with
//! `set_config(name, value, true)` so that a pooled connection never carries them into the
//! next transaction:
//! - `resumeflow.tenant_id`: the tenant of the actor of a session;
//! - `resumeflow.scope = 'system'`: cross-tenant work (the queue's claim, tenant
//!   administration, retention), opened only by the engine's own system paths.
//!
//! A connection that sets neither sees no tenant rows at all.

use chrono::{Datelike, NaiveDate};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::ddl::Table;

pub const RLS_FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION resumeflow_rls_allows(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('resumeflow.scope', true), '') = 'system'
        OR row_tenant = nullif(current_setting('resumeflow.tenant_id', true), '')::uuid
$$"#;

/// Statements enabling and forcing RLS on a tenant table, with its one policy.
pub fn rls(table: &str) -> Vec<String> {
    vec![
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
        format!("DROP POLICY IF EXISTS tenant_isolation ON {table}"),
        format!(
            "CREATE POLICY tenant_isolation ON {table} \
             USING (resumeflow_rls_allows(tenant_id)) \
             WITH CHECK (resumeflow_rls_allows(tenant_id))"
        ),
    ]
}

/// The tables partitioned by month on `created_at`.
pub const PARTITIONED: [&str; 5] = [
    "audit_logs",
    "error_logs",
    "worker_heartbeats",
    "jobs",
    "files",
];

fn month_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("first of month")
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("first of month")
}

pub fn partition_name(table: &str, month: NaiveDate) -> String {
    format!("{table}_p{:04}{:02}", month.year(), month.month())
}

async fn exec<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .map(|_| ())
}

/// Creates the default partition of `table` and one partition per month from the month of
/// `from` to the month of `to`, inclusive. Partitions of tenant tables get the same RLS
/// policy as their parent, so that a query naming a partition directly is walled too.
pub async fn ensure_partitions<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    tenant: bool,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, DbErr> {
    let mut created = Vec::new();
    let default = format!("{table}_default");
    exec(
        conn,
        &format!("CREATE TABLE IF NOT EXISTS {default} PARTITION OF {table} DEFAULT"),
    )
    .await?;
    let mut month = month_start(from);
    let last = month_start(to);
    while month <= last {
        let next = next_month(month);
        let name = partition_name(table, month);
        exec(
            conn,
            &format!(
                "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} \
                 FOR VALUES FROM ('{month}') TO ('{next}')"
            ),
        )
        .await?;
        if tenant {
            for s in rls(&name) {
                exec(conn, &s).await?;
            }
        }
        created.push(name);
        month = next;
    }
    if tenant {
        for s in rls(&default) {
            exec(conn, &s).await?;
        }
    }
    Ok(created)
}

/// Drops the monthly partitions of `table` that end on or before `before`'s month start.
/// Returns the names of the partitions dropped.
pub async fn drop_partitions_before<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    before: NaiveDate,
) -> Result<Vec<String>, DbErr> {
    let cutoff = month_start(before);
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT c.relname AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             JOIN pg_class p ON p.oid = i.inhparent \
             WHERE p.relname = $1 ORDER BY c.relname",
            [table.into()],
        ))
        .await?;
    let mut dropped = Vec::new();
    let prefix = format!("{table}_p");
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let Some(stamp) = name.strip_prefix(&prefix) else {
            continue;
        };
        if stamp.len() != 6 {
            continue;
        }
        let (Ok(y), Ok(m)) = (stamp[..4].parse::<i32>(), stamp[4..].parse::<u32>()) else {
            continue;
        };
        let Some(start) = NaiveDate::from_ymd_opt(y, m, 1) else {
            continue;
        };
        if next_month(start) <= cutoff {
            exec(conn, &format!("DROP TABLE IF EXISTS {name}")).await?;
            dropped.push(name);
        }
    }
    Ok(dropped)
}

/// Everything PostgreSQL adds to a table after it is created.
pub async fn after_create<C: ConnectionTrait>(conn: &C, table: &Table) -> Result<(), DbErr> {
    if table.tenant {
        for s in rls(table.name) {
            exec(conn, &s).await?;
        }
    }
    if table.partitioned {
        let today = chrono::Utc::now().date_naive();
        let from = month_start(today - chrono::Days::new(31));
        let to = next_month(next_month(month_start(today)));
        ensure_partitions(conn, table.name, table.tenant, from, to).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_the_year() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
        assert_eq!(
            month_start(d),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(next_month(d), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(partition_name("jobs", month_start(d)), "jobs_p202612");
    }
}
