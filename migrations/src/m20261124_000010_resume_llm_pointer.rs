//! `resumes.llm_response_path`: the store key of the LLM exchange a resume was parsed
//! from (request and raw answer, sealed), beside `parsed_json_path`.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000010_resume_llm_pointer"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::add_column(manager, "resumes", "llm_response_path", "text NULL").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_column(manager, "resumes", "llm_response_path").await
    }
}
