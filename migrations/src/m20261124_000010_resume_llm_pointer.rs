//! `resumes.llm_response_path`: the store key of the LLM exchange a resume was parsed
//! from (request and raw answer, sealed), beside `parsed_json_path`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000010_resume_llm_pointer"
    }
}

async fn has_column(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    crate::has_column(manager, "resumes", "llm_response_path").await
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
            "ALTER TABLE resumes ADD COLUMN llm_response_path text NULL",
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
            DbBackend::Postgres => "ALTER TABLE resumes DROP COLUMN IF EXISTS llm_response_path",
            _ => "ALTER TABLE resumes DROP COLUMN llm_response_path",
        };
        conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await?;
        Ok(())
    }
}
