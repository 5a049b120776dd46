//! Ingestion: content-addressed storage objects, batches and the files uploaded into them.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000004_ingestion");

pub const BATCH_STATUS: [&str; 5] = ["created", "processing", "completed", "failed", "cancelled"];
pub const FILE_STATUS: [&str; 5] = ["received", "queued", "processing", "completed", "failed"];

pub fn tables() -> Vec<Table> {
    vec![
        // One blob per tenant and content: the unique key is what makes dedup hold under
        // concurrent uploads. Not partitioned, so that the key can be enforced.
        Table::new("storage_objects", "storage_object_id")
            .tenant()
            .tenant_parent()
            .col("sha256", Ty::Text)
            .col("size", Ty::BigInt)
            .col("content_type", Ty::Text)
            .col("storage_path", Ty::Text)
            .null("key_id", Ty::Text)
            .col("created_at", Ty::Ts)
            .soft_delete()
            .unique(&["tenant_id", "sha256"])
            .check("size >= 0"),
        Table::new("batches", "batch_id")
            .tenant()
            .tenant_parent()
            .col("jd_id", Ty::Uuid)
            .default("jd_version", Ty::Int, "1")
            .null("name", Ty::Text)
            // The profile chosen at creation and a snapshot of it, so that editing a profile
            // later never changes how a running batch is scored.
            .null("weightage_profile_id", Ty::Uuid)
            .null("weightage_profile", Ty::Json)
            .status("status", &BATCH_STATUS)
            .default("total_files", Ty::Int, "0")
            .default("processed_files", Ty::Int, "0")
            .default("failed_files", Ty::Int, "0")
            .null("created_by", Ty::Uuid)
            .null("submitted_at", Ty::Ts)
            .null("completed_at", Ty::Ts)
            .timestamps()
            .soft_delete()
            .tenant_ref("jd_id", "job_descriptions", "jd_id", "RESTRICT")
            .index(&["tenant_id", "status"])
            .index(&["tenant_id", "created_at"])
            .check("total_files >= 0 AND processed_files >= 0 AND failed_files >= 0")
            .check("processed_files + failed_files <= total_files"),
        // One upload of a storage object into a batch (or a rejected upload, which has no
        // object). Partitioned by month on PostgreSQL.
        Table::new("files", "file_id")
            .tenant()
            .col("batch_id", Ty::Uuid)
            .null("storage_object_id", Ty::Uuid)
            .col("original_name", Ty::Text)
            .null("storage_path", Ty::Text)
            .null("sha256", Ty::Text)
            .default("size", Ty::BigInt, "0")
            .null("content_type", Ty::Text)
            .status("status", &FILE_STATUS)
            .null("error_code", Ty::Text)
            .null("error", Ty::Text)
            .timestamps()
            .tenant_ref("batch_id", "batches", "batch_id", "CASCADE")
            .tenant_ref(
                "storage_object_id",
                "storage_objects",
                "storage_object_id",
                "RESTRICT",
            )
            .index(&["tenant_id", "batch_id", "sha256"])
            .index(&["tenant_id", "storage_object_id"])
            .partitioned(),
    ]
}
