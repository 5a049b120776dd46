//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "resumes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resume_id: Uuid,
    pub tenant_id: Uuid,
    pub storage_object_id: Uuid,
    pub status: String,
    pub extracted_text_path: Option<String>,
    pub parsed_json_path: Option<String>,
    pub parser: Option<String>,
    pub total_experience_months: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub flags: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub is_deleted: bool,
    pub deleted_at: Option<DateTimeUtc>,
    /// Added by m20261124_000010: the sealed LLM exchange the resume was parsed from.
    pub llm_response_path: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
