//! Scoring: weightage profiles, the local and AI scores, and their resolution.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000007_scoring");

fn score(name: &'static str, id: &'static str) -> Table {
    Table::new(name, id)
        .tenant()
        .tenant_parent()
        .col("resume_id", Ty::Uuid)
        .col("jd_id", Ty::Uuid)
        // The JD version a score was computed against: a later edit makes it stale, not wrong.
        .col("jd_version", Ty::Int)
        .tenant_ref("resume_id", "resumes", "resume_id", "CASCADE")
        .tenant_ref("jd_id", "job_descriptions", "jd_id", "CASCADE")
}

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("weightage_profiles", "profile_id")
            .tenant()
            .tenant_parent()
            .col("name", Ty::Text)
            .default("is_default", Ty::Bool, "false")
            .default("weights", Ty::Json, "'{}'")
            .default("knockouts", Ty::Json, "'[]'")
            .default("disagreement_threshold", Ty::Float, "25.0")
            .timestamps()
            .soft_delete()
            .unique(&["tenant_id", "name"])
            .check("disagreement_threshold >= 0 AND disagreement_threshold <= 100"),
        score("local_match_scores", "local_score_id")
            .col("score", Ty::Float)
            .default("components", Ty::Json, "'{}'")
            .default("evidence", Ty::Json, "'[]'")
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "resume_id", "jd_id", "jd_version"])
            .check("score >= 0 AND score <= 100")
            .gin("components"),
        score("ai_scores", "ai_score_id")
            .status("status", &["ok", "invalid", "failed"])
            .null("score", Ty::Float)
            .col("model", Ty::Text)
            .null("request_hash", Ty::Text)
            .null("ai_score_json_path", Ty::Text)
            .null("ai_raw_response_path", Ty::Text)
            .default("flags", Ty::Json, "'[]'")
            .null("error", Ty::Text)
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "resume_id", "jd_id", "jd_version", "model"])
            .check("score IS NULL OR (score >= 0 AND score <= 100)")
            .gin("flags"),
        Table::new("score_resolutions", "resolution_id")
            .tenant()
            .tenant_parent()
            .col("batch_id", Ty::Uuid)
            .col("resume_id", Ty::Uuid)
            .col("jd_id", Ty::Uuid)
            .col("jd_version", Ty::Int)
            .col("local_score_id", Ty::Uuid)
            .null("ai_score_id", Ty::Uuid)
            .null("profile_id", Ty::Uuid)
            .col("final_score", Ty::Float)
            .default("components", Ty::Json, "'{}'")
            .default("policy", Ty::Json, "'{}'")
            .default("needs_review", Ty::Bool, "false")
            .default("knocked_out", Ty::Bool, "false")
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "batch_id", "resume_id"])
            .tenant_ref("batch_id", "batches", "batch_id", "CASCADE")
            .tenant_ref("resume_id", "resumes", "resume_id", "CASCADE")
            .tenant_ref(
                "local_score_id",
                "local_match_scores",
                "local_score_id",
                "CASCADE",
            )
            .tenant_ref("ai_score_id", "ai_scores", "ai_score_id", "SET NULL")
            .check("final_score >= 0 AND final_score <= 100")
            .gin("components"),
    ]
}
