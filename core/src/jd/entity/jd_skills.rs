//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "jd_skills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jd_skill_id: Uuid,
    pub tenant_id: Uuid,
    pub jd_id: Uuid,
    pub skill: String,
    pub raw: Option<String>,
    pub importance: String,
    pub weight: f64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
