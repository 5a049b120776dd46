//! `tenants.employers_rev`: a counter bumped in the transaction of every manual employer
//! decision (an alias, a merge, a split). Engines keep each tenant's employers in memory
//! for linking resumes and read this counter to know when their copy is stale.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000013_employers_rev"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::add_column(
            manager,
            "tenants",
            "employers_rev",
            "bigint NOT NULL DEFAULT 0",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_column(manager, "tenants", "employers_rev").await
    }
}
