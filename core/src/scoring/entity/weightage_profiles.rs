//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "weightage_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub profile_id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub is_default: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub weights: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub knockouts: Json,
    pub disagreement_threshold: f64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub is_deleted: bool,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
