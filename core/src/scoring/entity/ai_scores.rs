//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ai_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ai_score_id: Uuid,
    pub tenant_id: Uuid,
    pub resume_id: Uuid,
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub status: String,
    pub score: Option<f64>,
    pub model: String,
    pub request_hash: Option<String>,
    pub ai_score_json_path: Option<String>,
    pub ai_raw_response_path: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub flags: Json,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
