//! Schema migrations for resumeflow, on PostgreSQL 15+ and SQLite.
//!
//! One migration per entity group, each reversible and idempotent. The migration table is
//! `resumeflow_migrations`, so resumeflow's history lives beside the host's own
//! (`seaql_migrations`) in one database without either migrator tripping on the other.
//! PostgreSQL-only DDL (row-level security, partitions) lives in [`pg`].

pub use sea_orm_migration;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub mod ddl;
mod m20261124_000001_tenancy;
mod m20261124_000002_job_descriptions;
mod m20261124_000003_employers;
mod m20261124_000004_ingestion;
mod m20261124_000005_pipeline;
mod m20261124_000006_candidates;
mod m20261124_000007_scoring;
mod m20261124_000008_results;
mod m20261124_000009_audit;
mod m20261124_000010_resume_llm_pointer;
mod m20261125_000011_employer_aliases;
mod m20261125_000012_file_lookup_index;
mod m20261125_000013_employers_rev;
mod m20261125_000014_implied_tenant_keys;
mod m20261125_000015_file_counted;
pub mod pg;

pub use m20261125_000014_implied_tenant_keys::implied_tenant_tables;

use ddl::Table;

/// Whether `table` has `column` (SQLite has no `ADD COLUMN IF NOT EXISTS`, so the
/// migrations that add a column look first, and a rerun is harmless).
pub(crate) async fn has_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<bool, DbErr> {
    let conn = manager.get_connection();
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
        }
        _ => "SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?",
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [table.into(), column.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

/// Adds `column` (`definition`: its type and constraints) to `table` unless it is there,
/// so that a rerun is harmless.
pub(crate) async fn add_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    definition: &str,
) -> Result<(), DbErr> {
    if has_column(manager, table, column).await? {
        return Ok(());
    }
    let conn = manager.get_connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"),
    ))
    .await?;
    Ok(())
}

/// Drops `column` from `table` if it is there.
pub(crate) async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    if !has_column(manager, table, column).await? {
        return Ok(());
    }
    let conn = manager.get_connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        format!("ALTER TABLE {table} DROP COLUMN {column}"),
    ))
    .await?;
    Ok(())
}

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_tenancy::Migration),
            Box::new(m20261124_000002_job_descriptions::Migration),
            Box::new(m20261124_000003_employers::Migration),
            Box::new(m20261124_000004_ingestion::Migration),
            Box::new(m20261124_000005_pipeline::Migration),
            Box::new(m20261124_000006_candidates::Migration),
            Box::new(m20261124_000007_scoring::Migration),
            Box::new(m20261124_000008_results::Migration),
            Box::new(m20261124_000009_audit::Migration),
            Box::new(m20261124_000010_resume_llm_pointer::Migration),
            Box::new(m20261125_000011_employer_aliases::Migration),
            Box::new(m20261125_000012_file_lookup_index::Migration),
            Box::new(m20261125_000013_employers_rev::Migration),
            Box::new(m20261125_000014_implied_tenant_keys::Migration),
            Box::new(m20261125_000015_file_counted::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "resumeflow_migrations".into_iden()
    }
}

/// Every table of the model, in creation order.
pub fn all_tables() -> Vec<Table> {
    [
        m20261124_000001_tenancy::tables(),
        m20261124_000002_job_descriptions::tables(),
        m20261124_000003_employers::tables(),
        m20261124_000004_ingestion::tables(),
        m20261124_000005_pipeline::tables(),
        m20261124_000006_candidates::tables(),
        m20261124_000007_scoring::tables(),
        m20261124_000008_results::tables(),
        m20261124_000009_audit::tables(),
        m20261125_000011_employer_aliases::tables(),
    ]
    .concat()
}

/// Names of the tables that carry `tenant_id` (and, on PostgreSQL, row-level security).
pub fn tenant_tables() -> Vec<&'static str> {
    all_tables()
        .into_iter()
        .filter(|t| t.tenant)
        .map(|t| t.name)
        .collect()
}

async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .map(|_| ())
}

/// Creates `tables` in order, with their PostgreSQL extras.
pub(crate) async fn create_tables(
    manager: &SchemaManager<'_>,
    tables: &[Table],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend == DbBackend::Postgres {
        exec(manager, pg::RLS_FUNCTION).await?;
    }
    for t in tables {
        for sql in t.create(backend) {
            exec(manager, &sql).await?;
        }
        if backend == DbBackend::Postgres {
            pg::after_create(manager.get_connection(), t).await?;
        }
    }
    Ok(())
}

/// Drops `tables` in reverse order.
pub(crate) async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[Table],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    for t in tables.iter().rev() {
        exec(manager, &t.drop(backend)).await?;
    }
    if backend == DbBackend::Postgres && tables.iter().any(|t| t.name == "tenants") {
        exec(
            manager,
            "DROP FUNCTION IF EXISTS resumeflow_rls_allows(uuid)",
        )
        .await?;
    }
    Ok(())
}

/// Declares the `Migration` struct of one entity group: `up` creates the group's tables,
/// `down` drops them.
macro_rules! group_migration {
    ($name:literal) => {
        pub struct Migration;

        impl sea_orm_migration::MigrationName for Migration {
            fn name(&self) -> &str {
                $name
            }
        }

        #[sea_orm_migration::async_trait::async_trait]
        impl sea_orm_migration::MigrationTrait for Migration {
            async fn up(
                &self,
                manager: &sea_orm_migration::SchemaManager,
            ) -> Result<(), sea_orm_migration::DbErr> {
                crate::create_tables(manager, &tables()).await?;
                after_up(manager).await
            }

            async fn down(
                &self,
                manager: &sea_orm_migration::SchemaManager,
            ) -> Result<(), sea_orm_migration::DbErr> {
                crate::drop_tables(manager, &tables()).await
            }
        }
    };
}
pub(crate) use group_migration;

/// The common `after_up` for groups that only create tables.
pub(crate) async fn nothing_more(_manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    Ok(())
}
