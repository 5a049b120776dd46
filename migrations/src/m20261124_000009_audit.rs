//! Audit and error logs: append-only, partitioned by month on PostgreSQL.

use crate::ddl::{Table, Ty};
use crate::nothing_more as after_up;

crate::group_migration!("m20261124_000009_audit");

pub fn tables() -> Vec<Table> {
    vec![
        // A tamper-evident chain per tenant: `hash` covers the row and `prev_hash`.
        Table::new("audit_logs", "audit_id")
            .tenant()
            .null("actor_user_id", Ty::Uuid)
            .col("action", Ty::Text)
            .col("entity", Ty::Text)
            .null("entity_id", Ty::Uuid)
            .default("details", Ty::Json, "'{}'")
            .null("prev_hash", Ty::Text)
            .col("hash", Ty::Text)
            .col("created_at", Ty::Ts)
            .index(&["tenant_id", "created_at"])
            .index(&["tenant_id", "entity", "entity_id"])
            .partitioned(),
        Table::new("error_logs", "error_id")
            .tenant()
            .null("batch_id", Ty::Uuid)
            .null("file_id", Ty::Uuid)
            .null("job_id", Ty::Uuid)
            .col("code", Ty::Text)
            .col("message", Ty::Text)
            .default("details", Ty::Json, "'{}'")
            .col("created_at", Ty::Ts)
            .index(&["tenant_id", "created_at"])
            .index(&["tenant_id", "batch_id"])
            .partitioned(),
    ]
}
