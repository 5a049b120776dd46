//! `files (tenant_id, file_id)`: the lookup every pipeline step makes. On PostgreSQL the
//! primary key of the partitioned `files` is `(file_id, created_at)`, and without this
//! index a planner without statistics (a fresh table) reads a tenant's whole file list
//! through `(tenant_id, storage_object_id)` to find one file. SQLite's `files` is keyed by
//! `file_id` alone and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000012_file_lookup_index"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() == DbBackend::Postgres {
            // On the partitioned parent: PostgreSQL creates it on every partition, and on
            // every partition created later.
            conn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                "CREATE INDEX IF NOT EXISTS ix_files_tenant_id_file_id ON files (tenant_id, file_id)",
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() == DbBackend::Postgres {
            conn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                "DROP INDEX IF EXISTS ix_files_tenant_id_file_id",
            ))
            .await?;
        }
        Ok(())
    }
}
