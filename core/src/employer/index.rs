//! The engine's in-memory index of each tenant's employers, so that linking a resume does
//! not read every employer and alias of the tenant and rebuild a matcher from them.
//!
//! Each tenant's index is a [`Snapshot`]: an immutable matcher over the employers known
//! when it was built (`base`), a small matcher of the employers learned since (`recent`,
//! folded into `base` when it grows), and the keys of the manual aliases. A resolution
//! reads the snapshot of the moment and plans its own new employers in a matcher of its
//! own beside it ([`EmployerMatcher::resolve_in`]), so nothing it plans is visible to
//! anyone before its transaction commits.
//!
//! How the index follows the database:
//! * `tenants.employers_rev` is bumped in the transaction of every manual decision (an
//!   alias, a merge, a split). Every resolution reads it first, in its own transaction; a
//!   snapshot of another revision is dropped and the tenant's employers are loaded again.
//!   Manual decisions therefore apply to the next resolution in every process, as they did
//!   when each resolution loaded everything.
//! * Employers created by a parse of this engine are learned after its transaction
//!   commits ([`EmployerIndex::learn`]).
//! * Employers created by other processes are read at most every [`REFRESH`]: those
//!   created since the newest one known, less a [`MARGIN`] for clocks and transactions
//!   that commit late. Until then, a resolution here may not know a company another
//!   worker created a moment ago. For a name with the same key that changes nothing (the
//!   insert meets the other row through its unique key and uses it); a spelling that only
//!   the fuzzy stage would have matched gets its own employer, as it could before between
//!   two concurrent transactions, and [`crate::employer::Employers::merge`] fixes both.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::canon::{DEFAULT_THRESHOLD, EmployerMatcher, KnownEmployer};
use super::entity::{employer_aliases, employers};
use super::persist::json_strings;
use crate::error::Result;

/// How often employers created by other processes are read.
pub const REFRESH: Duration = Duration::from_secs(1);
/// How far before the newest known employer a refresh looks again.
pub const MARGIN: Duration = Duration::from_secs(30);
/// Learned employers are folded into the base matcher when there are this many.
const FOLD_AT: usize = 256;
/// Tenants kept in memory; the least recently used is dropped beyond this.
const MAX_TENANTS: usize = 256;

/// What a resolution reads: immutable, shared.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub rev: i64,
    pub base: Arc<EmployerMatcher>,
    pub recent: EmployerMatcher,
    /// Match keys of the manual aliases.
    pub alias_keys: Arc<HashSet<String>>,
}

impl Snapshot {
    pub fn contains(&self, id: Uuid) -> bool {
        self.base.contains(id) || self.recent.contains(id)
    }
}

#[derive(Debug)]
struct Cached {
    snapshot: Arc<Snapshot>,
    /// `created_at` of the newest employer read from the database.
    newest: Option<DateTime<Utc>>,
    refreshed: Instant,
    used: Instant,
}

/// Per-tenant employer snapshots of one engine.
#[derive(Debug, Default)]
pub(crate) struct EmployerIndex {
    tenants: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<Option<Cached>>>>>,
}

/// The tenant's revision of manual employer decisions.
async fn rev<C: ConnectionTrait>(conn: &C, tenant: Uuid) -> Result<i64> {
    let backend = conn.get_database_backend();
    let p = crate::db::Placeholders::new(backend).next();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT employers_rev FROM tenants WHERE tenant_id = {p}"),
            [tenant.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// Bumps the tenant's revision of manual employer decisions, in the caller's transaction.
pub(crate) async fn bump_rev<C: ConnectionTrait>(conn: &C, tenant: Uuid) -> Result<()> {
    let backend = conn.get_database_backend();
    let p = crate::db::Placeholders::new(backend).next();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("UPDATE tenants SET employers_rev = employers_rev + 1 WHERE tenant_id = {p}"),
        [tenant.into()],
    ))
    .await?;
    Ok(())
}

fn known(e: employers::Model) -> KnownEmployer {
    KnownEmployer {
        id: e.employer_id,
        aliases: json_strings(&e.aliases),
        name: e.canonical_name,
    }
}

/// Reads every live employer and manual alias of `tenant`: a snapshot of revision `rev`,
/// and the newest employer's `created_at`.
pub(crate) async fn load<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    rev: i64,
) -> Result<(Snapshot, Option<DateTime<Utc>>)> {
    let rows = employers::Entity::find()
        .filter(employers::Column::TenantId.eq(tenant))
        .filter(employers::Column::IsDeleted.eq(false))
        // Ties in the matcher go to the employer added first.
        .order_by_asc(employers::Column::CreatedAt)
        .order_by_asc(employers::Column::EmployerId)
        .all(conn)
        .await?;
    let newest = rows.iter().map(|e| e.created_at).max();
    let aliases = employer_aliases::Entity::find()
        .filter(employer_aliases::Column::TenantId.eq(tenant))
        .all(conn)
        .await?;
    let alias_keys = aliases.iter().map(|a| a.alias_key.clone()).collect();
    let base = EmployerMatcher::new(rows.into_iter().map(known), DEFAULT_THRESHOLD)
        .with_manual_aliases(aliases.into_iter().map(|a| (a.alias, a.employer_id)));
    Ok((
        Snapshot {
            rev,
            base: Arc::new(base),
            recent: EmployerMatcher::new([], DEFAULT_THRESHOLD),
            alias_keys: Arc::new(alias_keys),
        },
        newest,
    ))
}

/// A snapshot with `more` employers added (those it does not know yet).
fn extended(s: &Snapshot, more: impl IntoIterator<Item = KnownEmployer>) -> Option<Snapshot> {
    let more: Vec<KnownEmployer> = more.into_iter().filter(|k| !s.contains(k.id)).collect();
    if more.is_empty() {
        return None;
    }
    let mut recent = s.recent.clone();
    for k in more {
        recent.add(k);
    }
    Some(if recent.len() >= FOLD_AT {
        let mut base = (*s.base).clone();
        base.absorb(&recent);
        Snapshot {
            rev: s.rev,
            base: Arc::new(base),
            recent: EmployerMatcher::new([], DEFAULT_THRESHOLD),
            alias_keys: s.alias_keys.clone(),
        }
    } else {
        Snapshot {
            rev: s.rev,
            base: s.base.clone(),
            recent,
            alias_keys: s.alias_keys.clone(),
        }
    })
}

impl EmployerIndex {
    fn slot(&self, tenant: Uuid) -> Arc<tokio::sync::Mutex<Option<Cached>>> {
        let mut map = self.tenants.lock().expect("employer index lock");
        if !map.contains_key(&tenant) && map.len() >= MAX_TENANTS {
            // Drop the least recently used tenant that nobody is reading or refreshing.
            let oldest = map
                .iter()
                .filter_map(|(t, slot)| {
                    let g = slot.try_lock().ok()?;
                    Some((*t, g.as_ref().map(|c| c.used)))
                })
                .min_by_key(|(_, used)| *used)
                .map(|(t, _)| t);
            if let Some(t) = oldest {
                map.remove(&t);
            }
        }
        map.entry(tenant).or_default().clone()
    }

    /// The tenant's employers as of `conn`'s transaction: the cached snapshot when its
    /// revision is current (refreshed with other processes' new employers at most every
    /// [`REFRESH`]), else a fresh load.
    pub(crate) async fn snapshot<C: ConnectionTrait>(
        &self,
        conn: &C,
        tenant: Uuid,
    ) -> Result<Arc<Snapshot>> {
        let rev = rev(conn, tenant).await?;
        let slot = self.slot(tenant);
        let mut guard = slot.lock().await;
        let now = Instant::now();
        match guard.as_mut() {
            Some(c) if c.snapshot.rev == rev && c.refreshed.elapsed() < REFRESH => {
                c.used = now;
                return Ok(c.snapshot.clone());
            }
            Some(c) if c.snapshot.rev == rev => {
                let mut q = employers::Entity::find()
                    .filter(employers::Column::TenantId.eq(tenant))
                    .filter(employers::Column::IsDeleted.eq(false));
                if let Some(newest) = c.newest {
                    q = q.filter(employers::Column::CreatedAt.gte(newest - MARGIN));
                }
                let rows = q
                    .order_by_asc(employers::Column::CreatedAt)
                    .order_by_asc(employers::Column::EmployerId)
                    .limit(100_000)
                    .all(conn)
                    .await?;
                if let Some(n) = rows.iter().map(|e| e.created_at).max() {
                    c.newest = c.newest.max(Some(n));
                }
                if let Some(s) = extended(&c.snapshot, rows.into_iter().map(known)) {
                    c.snapshot = Arc::new(s);
                }
                c.refreshed = now;
                c.used = now;
                return Ok(c.snapshot.clone());
            }
            _ => {}
        }
        let (snapshot, newest) = load(conn, tenant, rev).await?;
        let snapshot = Arc::new(snapshot);
        *guard = Some(Cached {
            snapshot: snapshot.clone(),
            newest,
            refreshed: now,
            used: now,
        });
        Ok(snapshot)
    }

    /// Adds employers that a committed transaction created or met, to the tenant's
    /// snapshot of revision `rev` (a snapshot of another revision is left alone).
    pub(crate) async fn learn(&self, tenant: Uuid, rev: i64, employers: Vec<KnownEmployer>) {
        if employers.is_empty() {
            return;
        }
        let slot = self.slot(tenant);
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_mut()
            && c.snapshot.rev == rev
            && let Some(s) = extended(&c.snapshot, employers)
        {
            c.snapshot = Arc::new(s);
        }
    }
}
