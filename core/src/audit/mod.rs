//! The audit trail: one row per sensitive action or read, chained per tenant.
//!
//! Each row's `hash` is SHA-256 over the previous row's hash and the row's own fields, so
//! editing or deleting a row in the middle breaks every later link ([`verify_chain`]).
//! Two concurrent writers may link to the same predecessor; the verifier follows
//! `prev_hash` links rather than row order, so such a fork is still checkable.

pub mod entity;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{new_id, now};
use crate::error::Result;
use entity::audit_logs;

/// One audit row, as read back.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub audit_id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn row_hash(prev: Option<&str>, m: &audit_logs::Model) -> String {
    let mut h = Sha256::new();
    h.update(prev.unwrap_or("").as_bytes());
    for part in [
        m.audit_id.to_string(),
        m.tenant_id.to_string(),
        m.actor_user_id.map(|u| u.to_string()).unwrap_or_default(),
        m.action.clone(),
        m.entity.clone(),
        m.entity_id.map(|u| u.to_string()).unwrap_or_default(),
        m.details.to_string(),
        m.created_at.timestamp_micros().to_string(),
    ] {
        h.update([0x1f]);
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an audit row in the caller's transaction, so the action and its record commit
/// or roll back together.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    actor: Option<Uuid>,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    details: serde_json::Value,
) -> Result<()> {
    let prev: Option<String> = audit_logs::Entity::find()
        .select_only()
        .column(audit_logs::Column::Hash)
        .filter(audit_logs::Column::TenantId.eq(tenant))
        .order_by_desc(audit_logs::Column::CreatedAt)
        .order_by_desc(audit_logs::Column::AuditId)
        .into_tuple()
        .one(conn)
        .await?;
    let mut m = audit_logs::Model {
        audit_id: new_id(),
        tenant_id: tenant,
        actor_user_id: actor,
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id,
        details,
        prev_hash: prev.clone(),
        hash: String::new(),
        // Microsecond precision on both backends, so the hash recomputes exactly.
        created_at: chrono::DateTime::from_timestamp_micros(now().timestamp_micros())
            .expect("valid timestamp"),
    };
    m.hash = row_hash(prev.as_deref(), &m);
    audit_logs::ActiveModel {
        audit_id: Set(m.audit_id),
        tenant_id: Set(m.tenant_id),
        actor_user_id: Set(m.actor_user_id),
        action: Set(m.action),
        entity: Set(m.entity),
        entity_id: Set(m.entity_id),
        details: Set(m.details),
        prev_hash: Set(m.prev_hash),
        hash: Set(m.hash),
        created_at: Set(m.created_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Recomputes every row's hash of `tenant` and checks every `prev_hash` names an existing
/// row. Returns the number of rows checked, or the id of the first row that fails.
pub(crate) async fn verify_chain<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
) -> Result<std::result::Result<usize, Uuid>> {
    let rows = audit_logs::Entity::find()
        .filter(audit_logs::Column::TenantId.eq(tenant))
        .order_by_asc(audit_logs::Column::CreatedAt)
        .order_by_asc(audit_logs::Column::AuditId)
        .all(conn)
        .await?;
    let known: std::collections::HashSet<&str> = rows.iter().map(|r| r.hash.as_str()).collect();
    for r in &rows {
        if row_hash(r.prev_hash.as_deref(), r) != r.hash {
            return Ok(Err(r.audit_id));
        }
        if let Some(p) = &r.prev_hash
            && !known.contains(p.as_str())
        {
            return Ok(Err(r.audit_id));
        }
    }
    let roots = rows.iter().filter(|r| r.prev_hash.is_none()).count();
    if roots > 1 {
        // A second root means rows before it were deleted.
        let second = rows
            .iter()
            .filter(|r| r.prev_hash.is_none())
            .nth(1)
            .expect("two roots");
        return Ok(Err(second.audit_id));
    }
    Ok(Ok(rows.len()))
}

/// Records an error of a tenant's batch, file or job in `error_logs`, in the caller's
/// transaction. `code` is stable and machine-readable (e.g. `file_too_large`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_error<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    batch: Option<Uuid>,
    file: Option<Uuid>,
    job: Option<Uuid>,
    code: &str,
    message: &str,
    details: serde_json::Value,
) -> Result<()> {
    entity::error_logs::ActiveModel {
        error_id: Set(new_id()),
        tenant_id: Set(tenant),
        batch_id: Set(batch),
        file_id: Set(file),
        job_id: Set(job),
        code: Set(code.to_owned()),
        message: Set(message.to_owned()),
        details: Set(details),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub(crate) fn to_entry(m: audit_logs::Model) -> AuditEntry {
    AuditEntry {
        audit_id: m.audit_id,
        actor_user_id: m.actor_user_id,
        action: m.action,
        entity: m.entity,
        entity_id: m.entity_id,
        details: m.details,
        created_at: m.created_at,
    }
}
