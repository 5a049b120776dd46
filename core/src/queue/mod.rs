//! The job queue: enqueue, claim, lease, heartbeat, complete, fail, rescue, cancel.
//!
//! The rules come from the lost-job and double-run bugs of River, Oban, graphile-worker and
//! pg-boss (see DESIGN.md):
//! - **Claim** is atomic: PostgreSQL selects due jobs `FOR UPDATE SKIP LOCKED` in a CTE and
//!   updates them in the same statement; SQLite does the same inside one `BEGIN IMMEDIATE`
//!   transaction (one writer at a time). Every claim sets a fresh `lock_token`.
//! - **Fencing**: every later write (heartbeat, checkpoint, completion, failure, release)
//!   matches `job_id AND lock_token AND status = 'in_progress'`. Zero rows updated means the
//!   lease was lost (expired and rescued, or cancelled): the caller gets
//!   [`Error::LeaseLost`] and must drop its result.
//! - **Rescue**: any worker requeues jobs whose lease expired (with backoff), or fails them
//!   once their attempts are spent, with an `error_logs` row.
//!
//! Times come from the worker's clock. Clock skew between machines only moves when a lease
//! counts as expired; fencing keeps a late worker from writing either way.

pub mod entity;
mod worker;

pub use worker::{JobContext, JobError, JobHandler, Worker, WorkerConfig, WorkerStats};

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit;
use crate::db::{self, Scope, new_id, now};
use crate::error::{Error, Result};
use entity::jobs;

pub const QUEUED: &str = "queued";
pub const IN_PROGRESS: &str = "in_progress";
pub const COMPLETED: &str = "completed";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

/// A job to enqueue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewJob {
    pub tenant_id: Uuid,
    pub kind: String,
    pub batch_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub payload: serde_json::Value,
    /// Lower runs first.
    pub priority: i32,
    /// Not before this time; now when None.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(tenant_id: Uuid, kind: impl Into<String>) -> Self {
        Self {
            tenant_id,
            kind: kind.into(),
            batch_id: None,
            file_id: None,
            payload: serde_json::json!({}),
            priority: 100,
            run_at: None,
            max_attempts: 5,
        }
    }
}

/// A job held by a worker under a lease. Every write about it carries `lock_token`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimedJob {
    pub job_id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub batch_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lock_token: Uuid,
    pub lease_expires_at: DateTime<Utc>,
    /// The checkpoints the job had when it was claimed (read with the claim, so that a
    /// handler need not read them again).
    #[serde(default)]
    pub checkpoints: Vec<JobCheckpoint>,
    /// A pipeline job's file as the claim moved it from `queued` to `processing` (absent
    /// when the file was not queued, e.g. on a retry): read with the claim so that the
    /// first step need not read it again.
    #[serde(default)]
    pub file: Option<ClaimedFile>,
}

/// What the claim read of a pipeline job's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedFile {
    pub storage_object_id: Option<Uuid>,
    pub storage_path: Option<String>,
    /// The tenant's resume of the same content, when it was parsed before.
    pub resume_id: Option<Uuid>,
}

/// A step's checkpoint: where its output is, and the SHA-256 of that output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCheckpoint {
    pub step: String,
    pub payload_path: String,
    pub sha256: String,
}

/// Retry delays: `base · 2^(attempt-1)`, capped at `max`, plus up to 25 % jitter so that a
/// burst of failures does not come back as a burst.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1-based), with `jitter` in [0, 1).
    pub fn delay(&self, attempt: i32, jitter: f64) -> Duration {
        let exp = attempt.clamp(1, 31) as u32 - 1;
        let raw = self.base.saturating_mul(1u32 << Ord::min(exp, 30));
        let capped = raw.min(self.max);
        capped.mul_f64(1.0 + 0.25 * jitter.clamp(0.0, 1.0))
    }

    fn next_run(&self, attempt: i32) -> DateTime<Utc> {
        let d = self.delay(attempt, rand::random::<f64>());
        now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
    }
}

/// What a failure did to the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again to run at the given time.
    Retried(DateTime<Utc>),
    /// Failed for good (attempts spent or the error was permanent).
    Failed,
}

/// What one rescue pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RescueReport {
    pub requeued: Vec<Uuid>,
    pub failed: Vec<Uuid>,
}

fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    // Microseconds: what PostgreSQL keeps, so values compare the same on both backends.
    DateTime::from_timestamp_micros(t.timestamp_micros()).expect("valid timestamp")
}

fn lease_until(lease: Duration) -> DateTime<Utc> {
    ts(now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX))
}

/// The idempotency lock of one (tenant, batch, file, kind): PostgreSQL serialises
/// concurrent enqueues of the same key with a transaction-level advisory lock (the
/// partitioned `jobs` table cannot hold a unique key on it). SQLite serialises writers.
async fn lock_key<C: ConnectionTrait>(conn: &C, key: &str) -> Result<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

fn new_row(job: &NewJob, t: DateTime<Utc>) -> jobs::ActiveModel {
    jobs::ActiveModel {
        job_id: Set(new_id()),
        tenant_id: Set(job.tenant_id),
        kind: Set(job.kind.clone()),
        status: Set(QUEUED.into()),
        priority: Set(job.priority),
        run_at: Set(ts(job.run_at.unwrap_or(t))),
        attempts: Set(0),
        max_attempts: Set(Ord::max(job.max_attempts, 1)),
        batch_id: Set(job.batch_id),
        file_id: Set(job.file_id),
        payload: Set(job.payload.clone()),
        worker_id: Set(None),
        lock_token: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        completed_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
    }
}

/// Enqueues `jobs` in the caller's transaction and returns their ids in order. A job with
/// a batch or file is idempotent per (tenant, batch, file, kind): enqueueing it again
/// returns the existing job's id.
pub(crate) async fn enqueue<C: ConnectionTrait>(conn: &C, jobs_in: &[NewJob]) -> Result<Vec<Uuid>> {
    let t = ts(now());
    let mut ids = Vec::with_capacity(jobs_in.len());
    let mut plain = Vec::new();
    for job in jobs_in {
        if job.kind.is_empty() {
            return Err(Error::invalid("a job needs a kind"));
        }
        if job.batch_id.is_none() && job.file_id.is_none() {
            let row = new_row(job, t);
            ids.push(*row.job_id.as_ref());
            plain.push(row);
            continue;
        }
        let key = format!(
            "resumeflow/job/{}/{}/{}/{}",
            job.tenant_id,
            job.batch_id.map(|b| b.to_string()).unwrap_or_default(),
            job.file_id.map(|f| f.to_string()).unwrap_or_default(),
            job.kind
        );
        lock_key(conn, &key).await?;
        let existing: Option<Uuid> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::JobId)
            .filter(jobs::Column::TenantId.eq(job.tenant_id))
            .filter(match job.batch_id {
                Some(b) => jobs::Column::BatchId.eq(b),
                None => jobs::Column::BatchId.is_null(),
            })
            .filter(match job.file_id {
                Some(f) => jobs::Column::FileId.eq(f),
                None => jobs::Column::FileId.is_null(),
            })
            .filter(jobs::Column::Kind.eq(job.kind.as_str()))
            .into_tuple()
            .one(conn)
            .await?;
        match existing {
            Some(id) => ids.push(id),
            None => {
                let row = new_row(job, t);
                ids.push(*row.job_id.as_ref());
                jobs::Entity::insert(row)
                    .exec_without_returning(conn)
                    .await?;
            }
        }
    }
    // Jobs without an idempotency key go in bulk.
    for chunk in plain.chunks(500) {
        jobs::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(ids)
}

fn claimed_from(m: jobs::Model) -> Result<ClaimedJob> {
    Ok(ClaimedJob {
        job_id: m.job_id,
        tenant_id: m.tenant_id,
        kind: m.kind,
        batch_id: m.batch_id,
        file_id: m.file_id,
        payload: m.payload,
        attempts: m.attempts,
        max_attempts: m.max_attempts,
        lock_token: m.lock_token.ok_or_else(|| {
            Error::Database(sea_orm::DbErr::Custom("claimed job without token".into()))
        })?,
        lease_expires_at: m.lease_expires_at.ok_or_else(|| {
            Error::Database(sea_orm::DbErr::Custom("claimed job without lease".into()))
        })?,
        checkpoints: Vec::new(),
        file: None,
    })
}

/// Fills in the checkpoints of claimed jobs, in one statement.
async fn load_checkpoints<C: ConnectionTrait>(tx: &C, claimed: &mut [ClaimedJob]) -> Result<()> {
    if claimed.is_empty() {
        return Ok(());
    }
    let backend = tx.get_database_backend();
    let ids: Vec<Uuid> = claimed.iter().map(|j| j.job_id).collect();
    let q = sea_orm::sea_query::Query::select()
        .columns(["job_id", "step", "payload_path", "sha256"])
        .from("checkpoints")
        .and_where(db::id_in(backend, "job_id", &ids))
        .to_owned();
    let rows = tx.query_all_raw(backend.build(&q)).await?;
    for r in rows {
        let job: Uuid = r.try_get("", "job_id")?;
        if let Some(j) = claimed.iter_mut().find(|j| j.job_id == job) {
            j.checkpoints.push(JobCheckpoint {
                step: r.try_get("", "step")?,
                payload_path: r.try_get("", "payload_path")?,
                sha256: r.try_get("", "sha256")?,
            });
        }
    }
    Ok(())
}

/// Claims up to `n` due jobs of any tenant for `worker`, leased for `lease`.
pub(crate) async fn claim(
    db: &DatabaseConnection,
    worker: Uuid,
    n: u32,
    lease: Duration,
) -> Result<Vec<ClaimedJob>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let t = ts(now());
    let until = lease_until(lease);
    let tx = db::begin(db, Scope::System).await?;
    let (sql, values): (&str, Vec<Value>) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let sql = "WITH due AS ( \
                   SELECT job_id, created_at FROM jobs \
                   WHERE status = 'queued' AND run_at <= $1 \
                   ORDER BY priority, run_at, job_id \
                   LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs j SET status = 'in_progress', worker_id = $3, lock_token = gen_random_uuid(), \
                   attempts = j.attempts + 1, lease_expires_at = $4, updated_at = $1 \
                 FROM due WHERE j.job_id = due.job_id AND j.created_at = due.created_at \
                 RETURNING j.*";
            (
                sql,
                vec![t.into(), (n as i64).into(), worker.into(), until.into()],
            )
        }
        _ => {
            // One statement, as on PostgreSQL (the transaction is IMMEDIATE, so no other
            // writer runs between its select and its update). The jobs of one claim share
            // a fresh lock token: a token fences a (job, claim) pair, and every later
            // claim of a job draws a new one.
            let sql = "UPDATE jobs SET status = 'in_progress', worker_id = ?, lock_token = ?, \
                   attempts = attempts + 1, lease_expires_at = ?, updated_at = ? \
                 WHERE status = 'queued' AND job_id IN ( \
                   SELECT job_id FROM jobs WHERE status = 'queued' AND run_at <= ? \
                   ORDER BY priority, run_at, job_id LIMIT ?) \
                 RETURNING *";
            (
                sql,
                vec![
                    worker.into(),
                    Uuid::new_v4().into(),
                    until.into(),
                    t.into(),
                    t.into(),
                    (n as i64).into(),
                ],
            )
        }
    };
    let mut rows = jobs::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .all(&tx)
        .await?;
    // RETURNING gives no order; hand jobs out in claim order.
    rows.sort_by_key(|j| (j.priority, j.run_at, j.job_id));
    let mut claimed = rows
        .into_iter()
        .map(claimed_from)
        .collect::<Result<Vec<_>>>()?;
    load_checkpoints(&tx, &mut claimed).await?;
    mark_files_processing(&tx, &mut claimed, t).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// A claimed job's file (a pipeline job's) moves from `queued` to `processing` with the
/// claim: one statement per tenant in the claim, instead of one per job later. The same
/// statement returns what the first step needs of each file (its content, and the resume
/// already parsed from that content), into [`ClaimedJob::file`].
async fn mark_files_processing<C: ConnectionTrait>(
    tx: &C,
    claimed: &mut [ClaimedJob],
    t: DateTime<Utc>,
) -> Result<()> {
    use crate::ingest::FileStatus;
    let mut by_tenant: std::collections::BTreeMap<Uuid, Vec<Uuid>> = Default::default();
    for j in claimed.iter() {
        if let Some(f) = j.file_id {
            by_tenant.entry(j.tenant_id).or_default().push(f);
        }
    }
    let backend = tx.get_database_backend();
    for (tenant, ids) in by_tenant {
        let mut p = db::Placeholders::new(backend);
        let (status, at, tenant_mark) = (p.next(), p.next(), p.next());
        let mut values: Vec<Value> = vec![
            FileStatus::Processing.as_str().into(),
            ts(t).into(),
            tenant.into(),
        ];
        // On PostgreSQL one array parameter (see `db::id_in`), else an `IN (…)` list.
        let marks = if backend == DbBackend::Postgres {
            values.push(db::uuid_array(ids.iter().copied()));
            format!("= ANY({})", p.next())
        } else {
            values.extend(ids.iter().map(|&id| Value::from(id)));
            format!("IN {}", p.tuple(ids.len()))
        };
        let queued = p.next();
        values.push(FileStatus::Queued.as_str().into());
        let rows = tx
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE files SET status = {status}, updated_at = {at} \
                     WHERE tenant_id = {tenant_mark} AND file_id {marks} AND status = {queued} \
                     RETURNING file_id, storage_object_id, storage_path, {reusable} AS resume_id",
                    reusable = crate::candidate::persist::reusable_resume_sql("files")
                ),
                values,
            ))
            .await?;
        for r in rows {
            let file: Uuid = r.try_get("", "file_id")?;
            if let Some(j) = claimed
                .iter_mut()
                .find(|j| j.tenant_id == tenant && j.file_id == Some(file))
            {
                j.file = Some(ClaimedFile {
                    storage_object_id: r.try_get("", "storage_object_id")?,
                    storage_path: r.try_get("", "storage_path")?,
                    resume_id: r.try_get("", "resume_id")?,
                });
            }
        }
    }
    Ok(())
}

/// The fenced update: only the holder of the current lease may write.
fn fenced(job_id: Uuid, token: Uuid) -> sea_orm::UpdateMany<jobs::Entity> {
    jobs::Entity::update_many()
        .filter(jobs::Column::JobId.eq(job_id))
        .filter(jobs::Column::LockToken.eq(token))
        .filter(jobs::Column::Status.eq(IN_PROGRESS))
}

async fn exec_fenced<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    q: sea_orm::UpdateMany<jobs::Entity>,
) -> Result<()> {
    if q.exec(conn).await?.rows_affected == 0 {
        return Err(Error::LeaseLost { job_id });
    }
    Ok(())
}

/// Extends the lease of a held job to now + `lease`.
pub(crate) async fn heartbeat<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    token: Uuid,
    lease: Duration,
) -> Result<DateTime<Utc>> {
    let until = lease_until(lease);
    let q = fenced(job_id, token)
        .col_expr(jobs::Column::LeaseExpiresAt, Expr::value(until))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(ts(now())));
    exec_fenced(conn, job_id, q).await?;
    Ok(until)
}

/// Records a step's checkpoint and extends the lease in one transaction, fenced: a worker
/// that lost its lease writes nothing.
pub(crate) async fn checkpoint(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    step: &str,
    payload_path: &str,
    sha256: &str,
    lease: Duration,
) -> Result<()> {
    let tx = db::begin(db, Scope::Tenant(job.tenant_id)).await?;
    checkpoint_in(&tx, job, step, payload_path, sha256, lease).await?;
    tx.commit().await?;
    Ok(())
}

/// [`checkpoint`] inside the caller's transaction.
pub(crate) async fn checkpoint_in<C: ConnectionTrait>(
    tx: &C,
    job: &ClaimedJob,
    step: &str,
    payload_path: &str,
    sha256: &str,
    lease: Duration,
) -> Result<()> {
    let row = CheckpointRow::new(job, step, payload_path, sha256);
    if checkpoint_many(tx, &[row], lease).await?.is_empty() {
        return Err(Error::LeaseLost { job_id: job.job_id });
    }
    Ok(())
}

/// One checkpoint of a held job, for [`checkpoint_many`].
#[derive(Clone, Debug)]
pub(crate) struct CheckpointRow {
    pub job_id: Uuid,
    pub lock_token: Uuid,
    pub tenant_id: Uuid,
    pub step: String,
    pub payload_path: String,
    pub sha256: String,
}

impl CheckpointRow {
    pub(crate) fn new(job: &ClaimedJob, step: &str, payload_path: &str, sha256: &str) -> Self {
        Self {
            job_id: job.job_id,
            lock_token: job.lock_token,
            tenant_id: job.tenant_id,
            step: step.to_owned(),
            payload_path: payload_path.to_owned(),
            sha256: sha256.to_owned(),
        }
    }
}

/// Records checkpoints of several held jobs, of any tenants (system scope): one fenced
/// statement extends the leases of those still held, one inserts their checkpoints.
/// Returns the jobs that were still held; the others wrote nothing.
pub(crate) async fn checkpoint_many<C: ConnectionTrait>(
    conn: &C,
    rows: &[CheckpointRow],
    lease: Duration,
) -> Result<Vec<Uuid>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (until, t) = (lease_until(lease), ts(now()));
    update_held_checkpointing(
        conn,
        &[("lease_expires_at", until.into()), ("updated_at", t.into())],
        rows,
        t,
    )
    .await
}

/// [`update_held`] on the jobs of `rows`, and the checkpoint rows of those it held. On
/// PostgreSQL both are one statement (the insert is a data-modifying CTE that takes the
/// update's `RETURNING`), which saves a round trip per checkpoint transaction.
async fn update_held_checkpointing<C: ConnectionTrait>(
    conn: &C,
    set: &[(&str, Value)],
    rows: &[CheckpointRow],
    t: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    let backend = conn.get_database_backend();
    let pairs: Vec<(Uuid, Uuid)> = rows.iter().map(|r| (r.job_id, r.lock_token)).collect();
    if backend != DbBackend::Postgres || rows.is_empty() {
        let held = update_held(conn, set, &pairs).await?;
        insert_checkpoints(conn, rows.iter().filter(|r| held.contains(&r.job_id)), t).await?;
        return Ok(held);
    }
    let mut p = db::Placeholders::new(backend);
    let (update, mut values) = held_update_sql(&mut p, set, &pairs, backend);
    // The rows as arrays, like the jobs: one statement text for any number of rows.
    let marks: Vec<String> = (0..6).map(|_| p.next()).collect();
    values.extend([
        db::uuid_array(rows.iter().map(|r| r.job_id)),
        db::text_array(rows.iter().map(|r| r.step.as_str())),
        db::uuid_array(rows.iter().map(|r| r.tenant_id)),
        db::text_array(rows.iter().map(|r| r.payload_path.as_str())),
        db::text_array(rows.iter().map(|r| r.sha256.as_str())),
        t.into(),
    ]);
    let sql = format!(
        "WITH held AS ({update}), c AS (INSERT INTO checkpoints (job_id, step, tenant_id, \
         payload_path, sha256, created_at) SELECT v.job_id, v.step, v.tenant_id, \
         v.payload_path, v.sha256, {} FROM unnest({}::uuid[], {}::text[], {}::uuid[], {}::text[], \
         {}::text[]) AS v(job_id, step, tenant_id, payload_path, sha256) \
         WHERE v.job_id IN (SELECT job_id FROM held) {CHECKPOINT_UPSERT}) SELECT job_id FROM held",
        marks[5], marks[0], marks[1], marks[2], marks[3], marks[4]
    );
    conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .into_iter()
        .map(|r| r.try_get::<Uuid>("", "job_id").map_err(Error::from))
        .collect()
}

/// What a checkpoint row that exists already takes from the new one.
const CHECKPOINT_UPSERT: &str = "ON CONFLICT (job_id, step) DO UPDATE SET \
     payload_path = excluded.payload_path, sha256 = excluded.sha256, created_at = excluded.created_at";

/// The `(…)` tuples of checkpoint rows written at `t`, and their values.
fn checkpoint_tuples<'a>(
    p: &mut db::Placeholders,
    rows: impl Iterator<Item = &'a CheckpointRow>,
    t: DateTime<Utc>,
) -> (Vec<String>, Vec<Value>) {
    let mut tuples = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for r in rows {
        tuples.push(p.tuple(6));
        values.extend([
            r.job_id.into(),
            r.step.clone().into(),
            r.tenant_id.into(),
            r.payload_path.clone().into(),
            r.sha256.clone().into(),
            t.into(),
        ]);
    }
    (tuples, values)
}

/// Inserts (or replaces) the checkpoint rows `rows`, written at `t`, in one statement.
async fn insert_checkpoints<'a, C: ConnectionTrait>(
    conn: &C,
    rows: impl Iterator<Item = &'a CheckpointRow>,
    t: DateTime<Utc>,
) -> Result<()> {
    let backend = conn.get_database_backend();
    let (tuples, values) = checkpoint_tuples(&mut db::Placeholders::new(backend), rows, t);
    if !tuples.is_empty() {
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO checkpoints (job_id, step, tenant_id, payload_path, sha256, created_at) \
                 VALUES {} {CHECKPOINT_UPSERT}",
                tuples.join(", ")
            ),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// The last checkpoint of a held job and its completion, in the caller's transaction: the
/// fenced update marks the job completed and the checkpoint is inserted only if it did (one
/// statement on PostgreSQL). A worker that lost its lease writes neither (`LeaseLost`).
pub(crate) async fn complete_with_checkpoint_in<C: ConnectionTrait>(
    tx: &C,
    job: &ClaimedJob,
    step: &str,
    payload_path: &str,
    sha256: &str,
) -> Result<()> {
    let row = CheckpointRow::new(job, step, payload_path, sha256);
    let t = ts(now());
    if update_held_checkpointing(tx, &completed_set(t), &[row], t)
        .await?
        .is_empty()
    {
        return Err(Error::LeaseLost { job_id: job.job_id });
    }
    Ok(())
}

/// Marks held jobs completed, in one statement. Returns the ids that were still held;
/// the others had lost their lease and their results must be dropped.
pub(crate) async fn complete_many<C: ConnectionTrait>(
    conn: &C,
    done: &[(Uuid, Uuid)],
) -> Result<Vec<Uuid>> {
    update_held(conn, &completed_set(ts(now())), done).await
}

/// What completing a held job at `t` sets.
fn completed_set(t: DateTime<Utc>) -> [(&'static str, Value); 4] {
    [
        ("status", COMPLETED.into()),
        ("completed_at", t.into()),
        ("updated_at", t.into()),
        ("lease_expires_at", Option::<DateTime<Utc>>::None.into()),
    ]
}

/// The fenced update of many held jobs in one statement: `UPDATE jobs SET … WHERE status =
/// 'in_progress' AND (job_id, lock_token) IN (…) RETURNING job_id` (on PostgreSQL the jobs
/// and tokens are arrays, see [`held_update_sql`]). Returns the jobs that were still held;
/// the others are untouched.
async fn update_held<C: ConnectionTrait>(
    conn: &C,
    set: &[(&str, Value)],
    held: &[(Uuid, Uuid)],
) -> Result<Vec<Uuid>> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let (sql, values) = held_update_sql(&mut db::Placeholders::new(backend), set, held, backend);
    conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .into_iter()
        .map(|r| r.try_get::<Uuid>("", "job_id").map_err(Error::from))
        .collect()
}

/// The statement of [`update_held`] and its values. On PostgreSQL the held jobs are two
/// array parameters (`job_id = ANY($j) AND lock_token = ANY($t)`), so the statement's text
/// is the same however many jobs it updates: prepared and planned once per connection,
/// where an `IN (…)` list made a new statement (parsed and planned anew, which on the
/// partitioned `jobs` costs more than running it) for every count of jobs. The two lists
/// say the same as the pairs because a lock token belongs to one claim of one job.
fn held_update_sql(
    p: &mut db::Placeholders,
    set: &[(&str, Value)],
    held: &[(Uuid, Uuid)],
    backend: DbBackend,
) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::with_capacity(set.len() + 2 * held.len());
    let mut sets = Vec::with_capacity(set.len());
    for (column, value) in set {
        sets.push(format!("{column} = {}", p.next()));
        values.push(value.clone());
    }
    let which = if backend == DbBackend::Postgres {
        let (jobs, tokens) = (p.next(), p.next());
        values.push(db::uuid_array(held.iter().map(|h| h.0)));
        values.push(db::uuid_array(held.iter().map(|h| h.1)));
        format!("job_id = ANY({jobs}) AND lock_token = ANY({tokens})")
    } else {
        let mut pairs = Vec::with_capacity(held.len());
        for (job, token) in held {
            pairs.push(p.tuple(2));
            values.push((*job).into());
            values.push((*token).into());
        }
        format!("(job_id, lock_token) IN ({})", pairs.join(", "))
    };
    let sql = format!(
        "UPDATE jobs SET {} WHERE status = 'in_progress' AND {which} RETURNING job_id",
        sets.join(", "),
    );
    (sql, values)
}

/// Marks one held job completed; `LeaseLost` if it was no longer held.
pub(crate) async fn complete<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    token: Uuid,
) -> Result<()> {
    let done = complete_many(conn, &[(job_id, token)]).await?;
    if done.is_empty() {
        return Err(Error::LeaseLost { job_id });
    }
    Ok(())
}

/// Records a failure of a held job: retried with backoff while attempts remain and the
/// error is retryable, failed for good (with an `error_logs` row) otherwise.
pub(crate) async fn fail(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    error: &str,
    retryable: bool,
    backoff: &Backoff,
) -> Result<FailOutcome> {
    let tx = db::begin(db, Scope::Tenant(job.tenant_id)).await?;
    let t = ts(now());
    let outcome = if retryable && job.attempts < job.max_attempts {
        let at = ts(backoff.next_run(job.attempts));
        let q = fenced(job.job_id, job.lock_token)
            .col_expr(jobs::Column::Status, Expr::value(QUEUED))
            .col_expr(jobs::Column::RunAt, Expr::value(at))
            .col_expr(jobs::Column::WorkerId, Expr::value(Option::<Uuid>::None))
            .col_expr(jobs::Column::LockToken, Expr::value(Option::<Uuid>::None))
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LastError, Expr::value(error))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(t));
        exec_fenced(&tx, job.job_id, q).await?;
        FailOutcome::Retried(at)
    } else {
        let q = fenced(job.job_id, job.lock_token)
            .col_expr(jobs::Column::Status, Expr::value(FAILED))
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LastError, Expr::value(error))
            .col_expr(jobs::Column::CompletedAt, Expr::value(t))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(t));
        exec_fenced(&tx, job.job_id, q).await?;
        audit::record_error(
            &tx,
            job.tenant_id,
            job.batch_id,
            job.file_id,
            Some(job.job_id),
            if retryable {
                "job_attempts_exhausted"
            } else {
                "job_failed"
            },
            error,
            serde_json::json!({"kind": job.kind, "attempts": job.attempts}),
        )
        .await?;
        FailOutcome::Failed
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Gives a held job back to the queue without counting the attempt (graceful shutdown).
pub(crate) async fn release<C: ConnectionTrait>(conn: &C, job_id: Uuid, token: Uuid) -> Result<()> {
    let t = ts(now());
    let q = fenced(job_id, token)
        .col_expr(jobs::Column::Status, Expr::value(QUEUED))
        .col_expr(jobs::Column::RunAt, Expr::value(t))
        .col_expr(
            jobs::Column::Attempts,
            Expr::col(jobs::Column::Attempts).sub(1),
        )
        .col_expr(jobs::Column::WorkerId, Expr::value(Option::<Uuid>::None))
        .col_expr(jobs::Column::LockToken, Expr::value(Option::<Uuid>::None))
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(t));
    exec_fenced(conn, job_id, q).await
}

/// Requeues (with backoff) or fails every job whose lease expired before now.
pub(crate) async fn rescue_expired(
    db: &DatabaseConnection,
    backoff: &Backoff,
) -> Result<RescueReport> {
    let t = ts(now());
    let tx = db::begin(db, Scope::System).await?;
    let mut q = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(IN_PROGRESS))
        .filter(jobs::Column::LeaseExpiresAt.lt(t))
        .order_by_asc(jobs::Column::LeaseExpiresAt)
        .limit(500);
    if db.get_database_backend() == DbBackend::Postgres {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let expired = q.all(&tx).await?;
    let mut report = RescueReport::default();
    for m in expired {
        let Some(token) = m.lock_token else { continue };
        let spent = m.attempts >= m.max_attempts;
        let mut upd = fenced(m.job_id, token)
            .filter(jobs::Column::LeaseExpiresAt.lt(t))
            .col_expr(jobs::Column::WorkerId, Expr::value(Option::<Uuid>::None))
            .col_expr(jobs::Column::LockToken, Expr::value(Option::<Uuid>::None))
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LastError, Expr::value("lease expired"))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(t));
        upd = if spent {
            upd.col_expr(jobs::Column::Status, Expr::value(FAILED))
                .col_expr(jobs::Column::CompletedAt, Expr::value(t))
        } else {
            upd.col_expr(jobs::Column::Status, Expr::value(QUEUED))
                .col_expr(
                    jobs::Column::RunAt,
                    Expr::value(ts(backoff.next_run(m.attempts))),
                )
        };
        if upd.exec(&tx).await?.rows_affected == 0 {
            continue; // its worker heartbeated or finished meanwhile
        }
        if spent {
            audit::record_error(
                &tx,
                m.tenant_id,
                m.batch_id,
                m.file_id,
                Some(m.job_id),
                "job_lease_expired",
                "the job's lease expired on its last attempt",
                serde_json::json!({"kind": m.kind, "attempts": m.attempts, "worker_id": m.worker_id}),
            )
            .await?;
            report.failed.push(m.job_id);
        } else {
            report.requeued.push(m.job_id);
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Cancels the queued and running jobs of `tenant` that `filter` selects; running ones
/// lose their lease. Returns how many were cancelled.
async fn cancel_where<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<u64> {
    let t = ts(now());
    let r = jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(CANCELLED))
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(jobs::Column::CompletedAt, Expr::value(t))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(t))
        .filter(jobs::Column::TenantId.eq(tenant))
        .filter(filter)
        .filter(jobs::Column::Status.is_in([QUEUED, IN_PROGRESS]))
        .exec(conn)
        .await?;
    Ok(r.rows_affected)
}

/// Cancels queued and running jobs of a batch.
pub(crate) async fn cancel_batch<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    batch: Uuid,
) -> Result<u64> {
    cancel_where(conn, tenant, jobs::Column::BatchId.eq(batch)).await
}

/// Cancels one job of a tenant; false if it had already finished.
pub(crate) async fn cancel_job<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    job_id: Uuid,
) -> Result<bool> {
    Ok(cancel_where(conn, tenant, jobs::Column::JobId.eq(job_id)).await? > 0)
}

/// Registers a worker process: a fresh id per process lifetime.
pub(crate) async fn register_worker(db: &DatabaseConnection) -> Result<Uuid> {
    use entity::workers;
    let id = new_id();
    let t = ts(now());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let tx = db::begin(db, Scope::System).await?;
    workers::Entity::insert(workers::ActiveModel {
        worker_id: Set(id),
        host: Set(host),
        pid: Set(std::process::id() as i64),
        version: Set(Some(env!("CARGO_PKG_VERSION").to_owned())),
        status: Set("running".into()),
        started_at: Set(t),
        last_seen: Set(t),
        stopped_at: Set(None),
    })
    .exec_without_returning(&tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records that a worker is alive, with how many jobs it holds.
pub(crate) async fn worker_heartbeat(
    db: &DatabaseConnection,
    worker: Uuid,
    active_jobs: i32,
) -> Result<()> {
    use entity::{worker_heartbeats, workers};
    let t = ts(now());
    let tx = db::begin(db, Scope::System).await?;
    workers::Entity::update_many()
        .col_expr(workers::Column::LastSeen, Expr::value(t))
        .filter(workers::Column::WorkerId.eq(worker))
        .exec(&tx)
        .await?;
    worker_heartbeats::Entity::insert(worker_heartbeats::ActiveModel {
        heartbeat_id: Set(new_id()),
        worker_id: Set(worker),
        active_jobs: Set(active_jobs),
        created_at: Set(t),
    })
    .exec_without_returning(&tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn stop_worker(db: &DatabaseConnection, worker: Uuid) -> Result<()> {
    use entity::workers;
    let t = ts(now());
    let tx = db::begin(db, Scope::System).await?;
    workers::Entity::update_many()
        .col_expr(workers::Column::Status, Expr::value("stopped"))
        .col_expr(workers::Column::StoppedAt, Expr::value(t))
        .col_expr(workers::Column::LastSeen, Expr::value(t))
        .filter(workers::Column::WorkerId.eq(worker))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts of jobs per status (all tenants), for idle detection and operations.
pub(crate) async fn counts(
    db: &DatabaseConnection,
) -> Result<std::collections::BTreeMap<String, i64>> {
    let tx = db::begin(db, Scope::System).await?;
    let rows: Vec<(String, i64)> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Status)
        .column_as(Expr::col(jobs::Column::JobId).count(), "n")
        .group_by(jobs::Column::Status)
        .into_tuple()
        .all(&tx)
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(2, 0.0), Duration::from_secs(2));
        assert_eq!(b.delay(5, 0.0), Duration::from_secs(16));
        assert_eq!(b.delay(30, 0.0), Duration::from_secs(60));
        assert_eq!(b.delay(1000, 0.0), Duration::from_secs(60));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(1250));
        assert!(b.delay(3, 0.5) > b.delay(3, 0.0));
    }
}

/// One job as stored, for inspection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    pub job_id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub status: String,
    pub priority: i32,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub batch_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub worker_id: Option<Uuid>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<jobs::Model> for JobInfo {
    fn from(m: jobs::Model) -> Self {
        JobInfo {
            job_id: m.job_id,
            tenant_id: m.tenant_id,
            kind: m.kind,
            status: m.status,
            priority: m.priority,
            run_at: m.run_at,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            batch_id: m.batch_id,
            file_id: m.file_id,
            worker_id: m.worker_id,
            lease_expires_at: m.lease_expires_at,
            last_error: m.last_error,
            completed_at: m.completed_at,
        }
    }
}

/// The queue as the host's workers and operators see it: cross-tenant, so it is reached
/// from the engine ([`crate::Engine::queue`]), never from a session. Writes about a held
/// job run in a transaction scoped to the job's tenant, so they work under row-level
/// security as a non-superuser role.
pub struct Queue<'a> {
    engine: &'a crate::Engine,
}

impl crate::Engine {
    pub fn queue(&self) -> Queue<'_> {
        Queue { engine: self }
    }
}

impl Queue<'_> {
    fn db(&self) -> &DatabaseConnection {
        self.engine.writer()
    }

    /// Enqueues jobs (idempotent per tenant, batch, file and kind; bulk otherwise).
    pub async fn enqueue(&self, jobs: &[NewJob]) -> Result<Vec<Uuid>> {
        let tx = db::begin(self.db(), Scope::System).await?;
        let ids = enqueue(&tx, jobs).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Registers this process as a worker: a fresh id per call.
    pub async fn register_worker(&self) -> Result<Uuid> {
        register_worker(self.db()).await
    }

    pub async fn claim(&self, worker: Uuid, n: u32, lease: Duration) -> Result<Vec<ClaimedJob>> {
        claim(self.db(), worker, n, lease).await
    }

    pub async fn heartbeat(&self, job: &ClaimedJob, lease: Duration) -> Result<DateTime<Utc>> {
        let tx = db::begin(self.db(), Scope::Tenant(job.tenant_id)).await?;
        let r = heartbeat(&tx, job.job_id, job.lock_token, lease).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn checkpoint(
        &self,
        job: &ClaimedJob,
        step: &str,
        payload_path: &str,
        sha256: &str,
        lease: Duration,
    ) -> Result<()> {
        checkpoint(self.db(), job, step, payload_path, sha256, lease).await
    }

    pub async fn complete(&self, job: &ClaimedJob) -> Result<()> {
        let tx = db::begin(self.db(), Scope::Tenant(job.tenant_id)).await?;
        complete(&tx, job.job_id, job.lock_token).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Completes many held jobs in one statement; returns those still held (the others
    /// lost their lease).
    pub async fn complete_many(&self, jobs: &[ClaimedJob]) -> Result<Vec<Uuid>> {
        let pairs: Vec<(Uuid, Uuid)> = jobs.iter().map(|j| (j.job_id, j.lock_token)).collect();
        let tx = db::begin(self.db(), Scope::System).await?;
        let done = complete_many(&tx, &pairs).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn fail(
        &self,
        job: &ClaimedJob,
        error: &str,
        retryable: bool,
        backoff: &Backoff,
    ) -> Result<FailOutcome> {
        fail(self.db(), job, error, retryable, backoff).await
    }

    /// Gives a held job back without counting the attempt.
    pub async fn release(&self, job: &ClaimedJob) -> Result<()> {
        let tx = db::begin(self.db(), Scope::Tenant(job.tenant_id)).await?;
        release(&tx, job.job_id, job.lock_token).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn rescue_expired(&self, backoff: &Backoff) -> Result<RescueReport> {
        rescue_expired(self.db(), backoff).await
    }

    /// Jobs per status, across tenants.
    pub async fn counts(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        counts(self.db()).await
    }

    pub async fn job(&self, job_id: Uuid) -> Result<JobInfo> {
        let tx = db::begin(self.db(), Scope::System).await?;
        let m = jobs::Entity::find_by_id(job_id).one(&tx).await?;
        tx.commit().await?;
        m.map(JobInfo::from)
            .ok_or_else(|| Error::not_found("job", job_id))
    }

    /// Cancels a job; a running one loses its lease. False if it had already finished.
    pub async fn cancel(&self, tenant: Uuid, job_id: Uuid) -> Result<bool> {
        let tx = db::begin(self.db(), Scope::Tenant(tenant)).await?;
        let r = cancel_job(&tx, tenant, job_id).await?;
        tx.commit().await?;
        Ok(r)
    }
}
