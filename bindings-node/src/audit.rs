//! The audit trail of a tenant.

use napi_derive::napi;
use serde::{Deserialize, Serialize};

/// One audit row.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct AuditEntry {
    pub audit_id: String,
    pub actor_user_id: Option<String>,
    /// e.g. `candidate.read`, `batch.submit`, `user.create`.
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    #[napi(ts_type = "Record<string, unknown>")]
    pub details: serde_json::Value,
    pub created_at: String,
}

/// The outcome of `verifyAuditChain()`.
#[napi(object)]
pub struct AuditChain {
    /// Whether every row's hash matches its predecessor's.
    pub ok: bool,
    /// Rows verified (when `ok`).
    pub verified: u32,
    /// The first row that breaks the chain (when not `ok`).
    pub broken_at: Option<String>,
}
