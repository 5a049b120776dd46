//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub batch_id: Uuid,
    pub tenant_id: Uuid,
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub name: Option<String>,
    pub weightage_profile_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub weightage_profile: Option<Json>,
    pub status: String,
    pub total_files: i32,
    pub processed_files: i32,
    pub failed_files: i32,
    pub created_by: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub is_deleted: bool,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
