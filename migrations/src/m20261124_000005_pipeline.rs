//! The pipeline: the job queue, step checkpoints, workers and their heartbeats.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000005_pipeline");

pub const JOB_STATUS: [&str; 5] = ["queued", "in_progress", "completed", "failed", "cancelled"];

pub fn tables() -> Vec<Table> {
    vec![
        // Partitioned by month on PostgreSQL, so `jobs` cannot be the target of a foreign key:
        // checkpoints and error_logs carry job_id without one.
        Table::new("jobs", "job_id")
            .tenant()
            .col("kind", Ty::Text)
            .status("status", &JOB_STATUS)
            .default("priority", Ty::Int, "100")
            .col("run_at", Ty::Ts)
            .default("attempts", Ty::Int, "0")
            .default("max_attempts", Ty::Int, "5")
            .null("batch_id", Ty::Uuid)
            .null("file_id", Ty::Uuid)
            .default("payload", Ty::Json, "'{}'")
            .null("worker_id", Ty::Uuid)
            .null("lock_token", Ty::Uuid)
            .null("lease_expires_at", Ty::Ts)
            .null("last_error", Ty::Text)
            .null("completed_at", Ty::Ts)
            .timestamps()
            .tenant_ref("batch_id", "batches", "batch_id", "CASCADE")
            .check("attempts >= 0 AND max_attempts >= 1")
            // The claim scans due queued jobs of every tenant in priority order; this index
            // is the one place an index does not lead with tenant_id, on purpose.
            .index(&["status", "priority", "run_at", "job_id"])
            .index(&["status", "lease_expires_at"])
            .index(&["tenant_id", "batch_id", "file_id", "kind"])
            .partitioned(),
        Table::bare("checkpoints")
            .col("job_id", Ty::Uuid)
            .col("step", Ty::Text)
            .tenant()
            .col("payload_path", Ty::Text)
            .col("sha256", Ty::Text)
            .col("created_at", Ty::Ts)
            .with_pk(&["job_id", "step"])
            .index(&["tenant_id", "job_id"]),
        // Workers serve every tenant: no tenant_id, no row-level security.
        Table::new("workers", "worker_id")
            .col("host", Ty::Text)
            .col("pid", Ty::BigInt)
            .null("version", Ty::Text)
            .status("status", &["running", "stopping", "stopped"])
            .col("started_at", Ty::Ts)
            .col("last_seen", Ty::Ts)
            .null("stopped_at", Ty::Ts)
            .index(&["status", "last_seen"]),
        Table::new("worker_heartbeats", "heartbeat_id")
            .col("worker_id", Ty::Uuid)
            .default("active_jobs", Ty::Int, "0")
            .col("created_at", Ty::Ts)
            .reference("worker_id", "workers", "worker_id", "CASCADE")
            .index(&["worker_id", "created_at"])
            .partitioned(),
    ]
}
