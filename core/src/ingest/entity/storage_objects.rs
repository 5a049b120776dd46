//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "storage_objects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub storage_object_id: Uuid,
    pub tenant_id: Uuid,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub storage_path: String,
    pub key_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub is_deleted: bool,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
