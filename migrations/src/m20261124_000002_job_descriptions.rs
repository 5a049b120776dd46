//! Job descriptions, their full version history, skills and requirements.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000002_job_descriptions");

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("job_descriptions", "jd_id")
            .tenant()
            .tenant_parent()
            .col("title", Ty::Text)
            // Structured criteria: skills, years, education, location, salary, keywords.
            .default("parameters", Ty::Json, "'{}'")
            .null("raw_text_path", Ty::Text)
            .default("version", Ty::Int, "1")
            .null("created_by", Ty::Uuid)
            .timestamps()
            .soft_delete()
            .check("version >= 1")
            .index(&["tenant_id", "created_at"])
            .gin("parameters"),
        // One row per saved state of a job description, the first included: the audit trail
        // and the source of a rollback.
        Table::new("jd_versions", "jd_version_id")
            .tenant()
            .col("jd_id", Ty::Uuid)
            .col("version", Ty::Int)
            .col("title", Ty::Text)
            .default("parameters", Ty::Json, "'{}'")
            .null("raw_text_path", Ty::Text)
            .null("changed_by", Ty::Uuid)
            .null("change_note", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "jd_id", "version"])
            .tenant_ref("jd_id", "job_descriptions", "jd_id", "CASCADE"),
        Table::new("jd_skills", "jd_skill_id")
            .tenant()
            .col("jd_id", Ty::Uuid)
            .col("skill", Ty::Text)
            .null("raw", Ty::Text)
            .status("importance", &["must", "nice"])
            .default("weight", Ty::Float, "1.0")
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "jd_id", "skill"])
            .tenant_ref("jd_id", "job_descriptions", "jd_id", "CASCADE")
            .check("weight >= 0"),
        Table::new("jd_requirements", "jd_requirement_id")
            .tenant()
            .col("jd_id", Ty::Uuid)
            .status(
                "kind",
                &[
                    "skill",
                    "experience",
                    "education",
                    "location",
                    "salary",
                    "keyword",
                    "regex",
                    "other",
                ],
            )
            .col("value", Ty::Text)
            .default("weight", Ty::Float, "1.0")
            .default("mandatory", Ty::Bool, "false")
            .default("position", Ty::Int, "0")
            .col("created_at", Ty::Ts)
            .tenant_ref("jd_id", "job_descriptions", "jd_id", "CASCADE")
            .index(&["tenant_id", "jd_id"])
            .check("weight >= 0"),
    ]
}
