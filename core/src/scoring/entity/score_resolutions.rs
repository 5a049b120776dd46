//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "score_resolutions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolution_id: Uuid,
    pub tenant_id: Uuid,
    pub batch_id: Uuid,
    pub resume_id: Uuid,
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub local_score_id: Uuid,
    pub ai_score_id: Option<Uuid>,
    pub profile_id: Option<Uuid>,
    pub final_score: f64,
    #[sea_orm(column_type = "JsonBinary")]
    pub components: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub policy: Json,
    pub needs_review: bool,
    pub knocked_out: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
