//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub result_id: Uuid,
    pub tenant_id: Uuid,
    pub batch_id: Uuid,
    pub jd_id: Uuid,
    pub resume_id: Uuid,
    pub resolution_id: Option<Uuid>,
    pub final_score: f64,
    pub rank: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub flags: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
