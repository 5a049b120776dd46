//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "error_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub error_id: Uuid,
    pub tenant_id: Uuid,
    pub batch_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub code: String,
    pub message: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
