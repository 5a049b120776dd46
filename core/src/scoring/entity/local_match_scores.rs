//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "local_match_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_score_id: Uuid,
    pub tenant_id: Uuid,
    pub resume_id: Uuid,
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub score: f64,
    #[sea_orm(column_type = "JsonBinary")]
    pub components: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
