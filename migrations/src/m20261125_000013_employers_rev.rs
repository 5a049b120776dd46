//! `tenants.employers_rev`: a counter bumped in the transaction of every manual employer
//! decision (an alias, a merge, a split). Engines keep each tenant's employers in memory
//! for linking resumes and read this counter to know when their copy is stale.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000013_employers_rev"
    }
}

async fn has_column(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    crate::has_column(manager, "tenants", "employers_rev").await
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite has no ADD COLUMN IF NOT EXISTS: look first, so a rerun is harmless.
        if has_column(manager).await? {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_raw(Statement::from_string(
            conn.get_database_backend(),
            "ALTER TABLE tenants ADD COLUMN employers_rev bigint NOT NULL DEFAULT 0",
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !has_column(manager).await? {
            return Ok(());
        }
        let conn = manager.get_connection();
        let sql = match conn.get_database_backend() {
            DbBackend::Postgres => "ALTER TABLE tenants DROP COLUMN IF EXISTS employers_rev",
            _ => "ALTER TABLE tenants DROP COLUMN employers_rev",
        };
        conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await?;
        Ok(())
    }
}
