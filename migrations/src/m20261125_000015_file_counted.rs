//! `files.counted`: whether the file's final status (completed or failed) has been added to
//! its batch's counters.
//!
//! Until now a file's last transaction also bumped its batch's counter, so on PostgreSQL
//! every finishing file of a batch waited for the batch row, which the one before held
//! until its commit had been flushed: one batch finished at most one file per WAL flush,
//! however many workers ran it. The file's transaction now only moves the file; the
//! counting happens after it commits, guarded by this flag so that it happens once (see
//! `pipeline::settle_files`). Files already final were counted when they got there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000015_file_counted"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if crate::has_column(manager, "files", "counted").await? {
            return Ok(());
        }
        crate::add_column(
            manager,
            "files",
            "counted",
            "boolean NOT NULL DEFAULT false",
        )
        .await?;
        let conn = manager.get_connection();
        conn.execute_raw(Statement::from_string(
            conn.get_database_backend(),
            "UPDATE files SET counted = true WHERE status IN ('completed', 'failed')".to_owned(),
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_column(manager, "files", "counted").await
    }
}
