//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "resume_experiences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub experience_id: Uuid,
    pub tenant_id: Uuid,
    pub resume_id: Uuid,
    pub position: i32,
    pub company_raw: String,
    pub title_raw: String,
    pub employer_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub employer_role_id: Option<Uuid>,
    pub location: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub is_current: bool,
    pub summary: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub highlights: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
