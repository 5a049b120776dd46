//! Candidates: one resume per storage object, and its normalised parts.
//!
//! Contact details (name, e-mail, phone, links) live only in `resume_contacts`, encrypted,
//! with a blind index where equality lookup is needed.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000006_candidates");

pub const RESUME_STATUS: [&str; 4] = ["raw", "parsed", "validated", "scored"];

fn resume_child(name: &'static str, id: &'static str) -> Table {
    Table::new(name, id)
        .tenant()
        .col("resume_id", Ty::Uuid)
        .tenant_ref("resume_id", "resumes", "resume_id", "CASCADE")
}

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("resumes", "resume_id")
            .tenant()
            .tenant_parent()
            .col("storage_object_id", Ty::Uuid)
            .status("status", &RESUME_STATUS)
            .null("extracted_text_path", Ty::Text)
            .null("parsed_json_path", Ty::Text)
            .null("parser", Ty::Text)
            .null("total_experience_months", Ty::Int)
            .default("flags", Ty::Json, "'[]'")
            .timestamps()
            .soft_delete()
            // Parsed once per content: every later batch reuses this row.
            .unique(&["tenant_id", "storage_object_id"])
            .tenant_ref("storage_object_id", "storage_objects", "storage_object_id", "RESTRICT")
            .index(&["tenant_id", "status"]),
        resume_child("resume_experiences", "experience_id")
            .tenant_parent()
            .default("position", Ty::Int, "0")
            .col("company_raw", Ty::Text)
            .col("title_raw", Ty::Text)
            .null("employer_id", Ty::Uuid)
            .null("department_id", Ty::Uuid)
            .null("employer_role_id", Ty::Uuid)
            .null("location", Ty::Text)
            .null("start_date", Ty::Text)
            .null("end_date", Ty::Text)
            .default("is_current", Ty::Bool, "false")
            .null("summary", Ty::Text)
            .default("highlights", Ty::Json, "'[]'")
            .col("created_at", Ty::Ts)
            .tenant_ref("employer_id", "employers", "employer_id", "SET NULL")
            .tenant_ref("department_id", "employer_departments", "department_id", "SET NULL")
            .tenant_ref("employer_role_id", "employer_roles", "employer_role_id", "SET NULL")
            .index(&["tenant_id", "resume_id"])
            .index(&["tenant_id", "employer_id"])
            .index(&["tenant_id", "employer_role_id"]),
        resume_child("resume_projects", "project_id")
            .null("experience_id", Ty::Uuid)
            .null("employer_project_id", Ty::Uuid)
            .col("name", Ty::Text)
            .null("description", Ty::Text)
            .default("keywords", Ty::Json, "'[]'")
            .null("url", Ty::Text)
            .null("start_date", Ty::Text)
            .null("end_date", Ty::Text)
            .col("created_at", Ty::Ts)
            .tenant_ref("experience_id", "resume_experiences", "experience_id", "CASCADE")
            .tenant_ref("employer_project_id", "employer_projects", "employer_project_id", "SET NULL")
            .index(&["tenant_id", "resume_id"]),
        resume_child("resume_technologies", "technology_id")
            .col("name", Ty::Text)
            .null("raw", Ty::Text)
            .null("category", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "resume_id", "name"])
            .index(&["tenant_id", "name"]),
        resume_child("resume_skills", "skill_id")
            .col("name", Ty::Text)
            .null("raw", Ty::Text)
            .null("group_name", Ty::Text)
            .null("level", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "resume_id", "name"])
            .index(&["tenant_id", "name"]),
        resume_child("resume_education", "education_id")
            .col("institution", Ty::Text)
            .null("degree", Ty::Text)
            .null("field", Ty::Text)
            .null("level", Ty::Text)
            .null("start_date", Ty::Text)
            .null("end_date", Ty::Text)
            .null("score", Ty::Text)
            .col("created_at", Ty::Ts)
            .check("level IS NULL OR level IN ('none', 'associate', 'bachelor', 'master', 'doctorate')")
            .index(&["tenant_id", "resume_id"]),
        // Ciphertext only: AES-256-GCM under the tenant's data key, key id inside the
        // ciphertext, tenant/table/column/row bound as associated data.
        resume_child("resume_contacts", "contact_id")
            .status("kind", &["name", "email", "phone", "url", "profile", "location"])
            .col("value_ciphertext", Ty::Bytes)
            .null("blind_index", Ty::Text)
            .col("key_id", Ty::Text)
            .col("created_at", Ty::Ts)
            .index(&["tenant_id", "resume_id"])
            .index(&["tenant_id", "kind", "blind_index"]),
    ]
}
