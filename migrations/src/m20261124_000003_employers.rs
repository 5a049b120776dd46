//! Employers, canonicalised per tenant, with their departments, roles and projects.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000003_employers");

pub const SENIORITY: [&str; 9] = [
    "intern",
    "junior",
    "mid",
    "senior",
    "lead",
    "principal",
    "manager",
    "director",
    "executive",
];

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("employers", "employer_id")
            .tenant()
            .tenant_parent()
            .col("canonical_name", Ty::Text)
            // The folded, suffix-free matching key: one employer per key per tenant.
            .col("normalized_key", Ty::Text)
            .default("aliases", Ty::Json, "'[]'")
            .timestamps()
            .soft_delete()
            .unique(&["tenant_id", "normalized_key"]),
        Table::new("employer_departments", "department_id")
            .tenant()
            .tenant_parent()
            .col("employer_id", Ty::Uuid)
            .col("name", Ty::Text)
            .col("normalized_key", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "employer_id", "normalized_key"])
            .tenant_ref("employer_id", "employers", "employer_id", "CASCADE"),
        Table::new("employer_roles", "employer_role_id")
            .tenant()
            .tenant_parent()
            .null("employer_id", Ty::Uuid)
            .col("canonical_title", Ty::Text)
            .status("seniority", &SENIORITY)
            .col("normalized_key", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "employer_id", "normalized_key"])
            .tenant_ref("employer_id", "employers", "employer_id", "CASCADE")
            .index(&["tenant_id", "canonical_title"]),
        Table::new("employer_projects", "employer_project_id")
            .tenant()
            .tenant_parent()
            .col("employer_id", Ty::Uuid)
            .col("name", Ty::Text)
            .col("normalized_key", Ty::Text)
            .null("description", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "employer_id", "normalized_key"])
            .tenant_ref("employer_id", "employers", "employer_id", "CASCADE"),
    ]
}
