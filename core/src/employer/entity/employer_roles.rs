//! Generated from the migrations' table description (`cargo run -p resumeflow-migrations
//! --example dump_schema`); data only, behaviour lives beside the module.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "employer_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub employer_role_id: Uuid,
    pub tenant_id: Uuid,
    pub employer_id: Option<Uuid>,
    pub canonical_title: String,
    pub seniority: String,
    pub normalized_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
