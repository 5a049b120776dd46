//! On PostgreSQL, drops the `tenant_id → tenants` foreign key of every table whose tenant
//! is already implied by a tenant-safe reference to its parent: a `(tenant_id, parent_id)`
//! key with `ON DELETE CASCADE` on a `NOT NULL` column (see [`implied_tenant_tables`]).
//!
//! Such a row cannot name a tenant that does not exist (its parent has the same tenant and
//! is checked in turn, up to a table that references `tenants` itself), and deleting the
//! tenant still deletes it (through the parent's cascade). What the dropped key cost: a
//! `SELECT … FOR KEY SHARE` of the one `tenants` row for every row inserted, about 35 per
//! screened resume, all locking the same row. SQLite checks keys in-process and keeps them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000014_implied_tenant_keys"
    }
}

/// The tenant tables whose own `tenant_id → tenants` key adds nothing: they have a
/// `(tenant_id, column)` reference with `ON DELETE CASCADE` and `column NOT NULL`, and no
/// `RESTRICT` reference.
pub fn implied_tenant_tables() -> Vec<&'static str> {
    crate::all_tables()
        .into_iter()
        .filter(|t| {
            let references_tenants = t
                .foreign_keys
                .iter()
                .any(|fk| fk.table == "tenants" && fk.columns == ["tenant_id"]);
            let through_parent = t.foreign_keys.iter().any(|fk| {
                fk.table != "tenants"
                    && fk.on_delete == "CASCADE"
                    && fk.columns.len() == 2
                    && fk.columns[0] == "tenant_id"
                    && t.columns
                        .iter()
                        .any(|c| c.name == fk.columns[1] && !c.nullable)
            });
            // A row that blocks the deletion of a RESTRICT parent must be reached by the
            // tenant's cascade directly: deleting a tenant deletes that parent too, and
            // the row's own parent may come later in the cascade.
            let restricts = t
                .foreign_keys
                .iter()
                .any(|fk| matches!(fk.on_delete, "RESTRICT" | "NO ACTION"));
            t.tenant && references_tenants && through_parent && !restricts
        })
        .map(|t| t.name)
        .collect()
}

/// The name of `table`'s own (not inherited) foreign key `(tenant_id) → tenants`, if any.
async fn tenant_key(conn: &impl ConnectionTrait, table: &str) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.conname::text AS name FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'tenant_id' \
             WHERE c.conrelid = to_regclass($1) AND c.contype = 'f' AND c.conparentid = 0 \
               AND c.confrelid = 'tenants'::regclass AND c.conkey = ARRAY[a.attnum]",
            [table.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<String>("", "name")).transpose()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for table in implied_tenant_tables() {
            if let Some(name) = tenant_key(conn, table).await? {
                // On a partitioned table this drops the partitions' copies too.
                conn.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if conn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for table in implied_tenant_tables() {
            if tenant_key(conn, table).await?.is_none() {
                conn.execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD FOREIGN KEY (tenant_id) \
                     REFERENCES tenants (tenant_id) ON DELETE CASCADE"
                ))
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_implied_tables_are_children_and_the_roots_keep_their_key() {
        let implied = implied_tenant_tables();
        for child in [
            "resume_skills",
            "resume_experiences",
            "employer_departments",
            "results",
            "score_resolutions",
        ] {
            assert!(implied.contains(&child), "{child} in {implied:?}");
        }
        // Roots (no parent but the tenant), tables with a RESTRICT parent, and tables
        // whose parent reference may be null (a role without an employer, a job without a
        // batch) keep their own key.
        for root in [
            "files",
            "employer_roles",
            "jobs",
            "users",
            "employers",
            "job_descriptions",
            "storage_objects",
            "resumes",
            "batches",
            "audit_logs",
            "checkpoints",
        ] {
            assert!(!implied.contains(&root), "{root} in {implied:?}");
        }
    }
}
