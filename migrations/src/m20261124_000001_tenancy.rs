//! Tenancy: tenants, roles, users and per-user permission overrides.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::ddl::{Table, Ty};

crate::group_migration!("m20261124_000001_tenancy");

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("tenants", "tenant_id")
            .rls()
            .col("name", Ty::Text)
            .col("slug", Ty::Text)
            .default("settings", Ty::Json, "'{}'")
            .default("active", Ty::Bool, "true")
            // Retention: soft-deleted business rows and their artifacts are collected after
            // `retention_days`; audit rows are kept for `audit_retention_days`.
            .default("retention_days", Ty::Int, "365")
            .default("audit_retention_days", Ty::Int, "2555")
            .timestamps()
            .soft_delete()
            .unique(&["slug"])
            .check("retention_days > 0 AND audit_retention_days > 0")
            .gin("settings"),
        // Reference data, the same for every tenant: the four roles and their rank.
        Table::bare("roles")
            .col("role", Ty::Text)
            .col("rank", Ty::Int)
            .col("description", Ty::Text)
            .with_pk(&["role"]),
        Table::new("users", "user_id")
            .tenant()
            .tenant_parent()
            // The user's e-mail is personal data: stored encrypted, found by its blind index.
            .col("email_ciphertext", Ty::Bytes)
            .col("email_index", Ty::Text)
            .null("display_name", Ty::Text)
            .col("role", Ty::Text)
            .default("active", Ty::Bool, "true")
            .timestamps()
            .soft_delete()
            .unique(&["tenant_id", "email_index"])
            .reference("role", "roles", "role", "RESTRICT")
            .index(&["tenant_id", "role"]),
        Table::new("user_permissions", "user_permission_id")
            .tenant()
            .col("user_id", Ty::Uuid)
            .col("permission", Ty::Text)
            .status("effect", &["grant", "deny"])
            .timestamps()
            .unique(&["tenant_id", "user_id", "permission"])
            .tenant_ref("user_id", "users", "user_id", "CASCADE"),
    ]
}

const ROLES: [(&str, i32, &str); 4] = [
    (
        "owner",
        40,
        "Everything, including tenant settings, keys and owners",
    ),
    (
        "admin",
        30,
        "Users, permissions, weightage profiles, retention and all recruiter work",
    ),
    (
        "recruiter",
        20,
        "Job descriptions, batches, candidates with contact details, reports",
    ),
    (
        "viewer",
        10,
        "Read job descriptions, results and reports, never contact details",
    ),
];

async fn after_up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let backend = conn.get_database_backend();
    let placeholders = match backend {
        DbBackend::Postgres => "($1, $2, $3)",
        _ => "(?, ?, ?)",
    };
    for (role, rank, description) in ROLES {
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO roles (role, rank, description) VALUES {placeholders} \
                 ON CONFLICT (role) DO NOTHING"
            ),
            [role.into(), rank.into(), description.into()],
        ))
        .await?;
    }
    Ok(())
}
