//! Tenant-scoped employer aliases: the human decisions (merge, split) that win over the
//! matcher's exact and fuzzy matches from then on, re-parses included.
//!
//! Also one partial unique index: `employer_roles` is unique per (tenant, employer, key),
//! but a role held at no employer ("Self-employed", no company printed) has a NULL
//! employer, and NULLs never collide in a unique constraint. Without the index two workers
//! could each insert the same unattached role.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::ddl::{Table, Ty};

pub const ALIAS_KIND: [&str; 2] = ["merge", "split"];

const UNATTACHED_ROLES: &str = "CREATE UNIQUE INDEX IF NOT EXISTS ux_employer_roles_unattached \
     ON employer_roles (tenant_id, normalized_key) WHERE employer_id IS NULL";

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("employer_aliases", "alias_id")
            .tenant()
            .tenant_parent()
            .col("employer_id", Ty::Uuid)
            // The spelling as the user gave it (or as it was printed, for merged names).
            .col("alias", Ty::Text)
            // `resumeflow::employer::canon::match_key` of `alias`: one decision per key.
            .col("alias_key", Ty::Text)
            .status("kind", &ALIAS_KIND)
            .null("created_by", Ty::Uuid)
            .timestamps()
            .unique(&["tenant_id", "alias_key"])
            .tenant_ref("employer_id", "employers", "employer_id", "CASCADE")
            .index(&["tenant_id", "employer_id"]),
    ]
}

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000011_employer_aliases"
    }
}

async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .map(|_| ())
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::create_tables(manager, &tables()).await?;
        exec(manager, UNATTACHED_ROLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP INDEX IF EXISTS ux_employer_roles_unattached").await?;
        crate::drop_tables(manager, &tables()).await
    }
}
