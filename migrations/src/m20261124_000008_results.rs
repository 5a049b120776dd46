//! Results: the ranked outcome per batch, and exported reports with their rows.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000008_results");

pub fn tables() -> Vec<Table> {
    vec![
        Table::new("results", "result_id")
            .tenant()
            .tenant_parent()
            .col("batch_id", Ty::Uuid)
            .col("jd_id", Ty::Uuid)
            .col("resume_id", Ty::Uuid)
            .null("resolution_id", Ty::Uuid)
            .col("final_score", Ty::Float)
            .null("rank", Ty::Int)
            .default("flags", Ty::Json, "'[]'")
            .timestamps()
            .unique(&["tenant_id", "batch_id", "resume_id"])
            .tenant_ref("batch_id", "batches", "batch_id", "CASCADE")
            .tenant_ref("jd_id", "job_descriptions", "jd_id", "CASCADE")
            .tenant_ref("resume_id", "resumes", "resume_id", "CASCADE")
            .tenant_ref(
                "resolution_id",
                "score_resolutions",
                "resolution_id",
                "SET NULL",
            )
            .index(&["tenant_id", "batch_id", "rank"])
            .check("rank IS NULL OR rank >= 1"),
        Table::new("reports", "report_id")
            .tenant()
            .tenant_parent()
            .col("batch_id", Ty::Uuid)
            .status("format", &["csv", "xlsx", "json"])
            .status("status", &["pending", "ready", "failed"])
            .null("storage_path", Ty::Text)
            .default("row_count", Ty::Int, "0")
            .null("created_by", Ty::Uuid)
            .timestamps()
            .soft_delete()
            .tenant_ref("batch_id", "batches", "batch_id", "CASCADE")
            .index(&["tenant_id", "batch_id"]),
        Table::new("report_rows", "report_row_id")
            .tenant()
            .col("report_id", Ty::Uuid)
            .null("result_id", Ty::Uuid)
            .col("rank", Ty::Int)
            .default("data", Ty::Json, "'{}'")
            .col("created_at", Ty::Ts)
            .unique(&["tenant_id", "report_id", "rank"])
            .tenant_ref("report_id", "reports", "report_id", "CASCADE")
            .tenant_ref("result_id", "results", "result_id", "SET NULL"),
    ]
}
