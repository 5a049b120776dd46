//! The worker runtime: claims jobs, runs a handler for each with its lease kept alive by
//! heartbeats, completes them in batches, rescues expired leases, and stops gracefully.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::{Backoff, ClaimedJob, FailOutcome};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (network, LLM, store hiccup): retried with backoff.
    #[error("retryable: {0}")]
    Retryable(String),
    /// Will fail again (bad input): fails the job now.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        match e {
            Error::Storage(_) | Error::Database(_) | Error::Llm(_) => {
                JobError::Retryable(e.to_string())
            }
            Error::NotFound { .. }
            | Error::PermissionDenied { .. }
            | Error::InvalidInput(_)
            | Error::Conflict(_)
            | Error::LeaseLost { .. }
            | Error::Crypto(_)
            | Error::Config(_) => JobError::Permanent(e.to_string()),
        }
    }
}

/// What a handler gets besides the job: fenced writes under the job's lease.
pub struct JobContext {
    engine: Engine,
    job: ClaimedJob,
    lease: Duration,
    lost: Arc<AtomicBool>,
    /// Set once the handler committed the job's completion itself
    /// ([`JobContext::completing_tx`]): the worker then has nothing left to write.
    completed: Arc<AtomicBool>,
    /// The worker's checkpoint writer, which commits the checkpoints of its jobs together.
    checkpoints: mpsc::UnboundedSender<CheckpointRequest>,
}

/// A checkpoint waiting for the worker's checkpoint writer.
struct CheckpointRequest {
    row: super::CheckpointRow,
    reply: oneshot::Sender<Result<()>>,
}

impl JobContext {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn job(&self) -> &ClaimedJob {
        &self.job
    }

    /// True once a heartbeat found the lease lost: stop and drop the result.
    pub fn lease_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Records a step's checkpoint and extends the lease, in one fenced transaction. The
    /// worker commits the checkpoints of its concurrent jobs together (one transaction
    /// for all that are waiting), so this returns once that transaction committed.
    pub async fn checkpoint(&self, step: &str, payload_path: &str, sha256: &str) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let request = CheckpointRequest {
            row: super::CheckpointRow::new(&self.job, step, payload_path, sha256),
            reply,
        };
        // The writer lives as long as any job of its worker holds a sender. Were it gone,
        // the send would drop the request and its reply, and the wait below would end.
        let _ = self.checkpoints.send(request);
        let r = answer.await.unwrap_or_else(|_| {
            Err(Error::Database(sea_orm::DbErr::Custom(
                "the worker's checkpoint writer stopped".into(),
            )))
        });
        self.note_lost(r)
    }

    /// Remembers a lost lease (so the job's result is dropped) and passes `r` on.
    fn note_lost<T>(&self, r: Result<T>) -> Result<T> {
        if matches!(r, Err(Error::LeaseLost { .. })) {
            self.lost.store(true, Ordering::SeqCst);
        }
        r
    }

    /// [`JobContext::checkpoint`], but the transaction is returned open, so that the
    /// handler's own writes commit atomically with the checkpoint (or not at all). It is
    /// a write transaction in the job's tenant scope: keep it short, and commit it.
    pub async fn checkpoint_tx(
        &self,
        step: &str,
        payload_path: &str,
        sha256: &str,
    ) -> Result<sea_orm::DatabaseTransaction> {
        let tx = self.write_tx().await?;
        let r = super::checkpoint_in(&tx, &self.job, step, payload_path, sha256, self.lease).await;
        self.note_lost(r).map(|_| tx)
    }

    /// The job's last checkpoint and its completion, in one fenced transaction returned
    /// open for the handler's own writes: they, the checkpoint and the completion commit
    /// together through [`JobContext::commit_completed`], or none of them does. This saves
    /// the worker's separate completion transaction.
    pub async fn completing_tx(
        &self,
        step: &str,
        payload_path: &str,
        sha256: &str,
    ) -> Result<sea_orm::DatabaseTransaction> {
        let tx = self.write_tx().await?;
        let r =
            super::complete_with_checkpoint_in(&tx, &self.job, step, payload_path, sha256).await;
        self.note_lost(r).map(|_| tx)
    }

    /// A write transaction in the job's tenant scope.
    async fn write_tx(&self) -> Result<sea_orm::DatabaseTransaction> {
        crate::db::begin(
            self.engine.writer(),
            crate::db::Scope::Tenant(self.job.tenant_id),
        )
        .await
    }

    /// Commits a transaction from [`JobContext::completing_tx`]; once it has committed the
    /// job is completed, whatever the handler returns afterwards.
    pub async fn commit_completed(&self, tx: sea_orm::DatabaseTransaction) -> Result<()> {
        tx.commit().await?;
        self.completed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// The work itself, implemented by the pipeline (or by a host for its own job kinds).
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, ctx: &JobContext) -> std::result::Result<(), JobError>;

    /// Called after every rescue pass and before an idle worker stops: the place to
    /// reconcile state that a job which died on its last attempt could not update.
    async fn on_idle(&self, _engine: &Engine) -> Result<()> {
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// How long a claim holds a job without a heartbeat.
    pub lease: Duration,
    /// Heartbeat period; at most a third of the lease.
    pub heartbeat: Duration,
    /// Sleep between polls when the queue is empty.
    pub poll_interval: Duration,
    /// How often this worker looks for expired leases of any worker.
    pub rescue_interval: Duration,
    /// Completions are written in batches of up to this many, or every `flush_interval`.
    pub completion_batch: usize,
    pub flush_interval: Duration,
    pub backoff: Backoff,
    /// On shutdown, how long running jobs may take to finish before they are released.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(20),
            poll_interval: Duration::from_millis(250),
            rescue_interval: Duration::from_secs(10),
            completion_batch: 256,
            flush_interval: Duration::from_millis(20),
            backoff: Backoff::default(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl WorkerConfig {
    /// The defaults, with as many jobs at once as suit `engine`
    /// ([`Engine::default_jobs`]): with a model, four per call it may take at once.
    pub fn for_engine(engine: &Engine) -> Self {
        WorkerConfig {
            concurrency: engine.default_jobs(),
            ..Default::default()
        }
    }
}

/// What a worker did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    pub claimed: u64,
    pub completed: u64,
    pub retried: u64,
    pub failed: u64,
    /// Results dropped because the lease was lost.
    pub lost: u64,
    pub released: u64,
    pub rescued: u64,
}

#[derive(Default)]
struct Counters {
    claimed: AtomicU64,
    completed: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    lost: AtomicU64,
    released: AtomicU64,
    rescued: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> WorkerStats {
        WorkerStats {
            claimed: self.claimed.load(Ordering::SeqCst),
            completed: self.completed.load(Ordering::SeqCst),
            retried: self.retried.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            lost: self.lost.load(Ordering::SeqCst),
            released: self.released.load(Ordering::SeqCst),
            rescued: self.rescued.load(Ordering::SeqCst),
        }
    }
}

/// A worker process's runtime. Create with [`Engine::worker`].
pub struct Worker {
    engine: Engine,
    config: WorkerConfig,
    handler: Arc<dyn JobHandler>,
}

impl Engine {
    /// A worker that runs `handler` for every claimed job (for hosts with job kinds of
    /// their own; [`Engine::worker`] runs the pipeline).
    pub fn worker_with(&self, config: WorkerConfig, handler: Arc<dyn JobHandler>) -> Worker {
        Worker {
            engine: self.clone(),
            config,
            handler,
        }
    }
}

enum Mode {
    UntilIdle,
    Forever,
}

impl Worker {
    /// Runs until no job is queued or running anywhere, then stops gracefully. Expired
    /// leases of dead workers are rescued on the way, so this also finishes their jobs.
    pub async fn run_until_idle(&self) -> Result<WorkerStats> {
        self.run_inner(Mode::UntilIdle, std::future::pending::<()>())
            .await
    }

    /// Runs until `shutdown` resolves, then finishes or releases its jobs.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> Result<WorkerStats> {
        self.run_inner(Mode::Forever, shutdown).await
    }

    async fn run_inner(
        &self,
        mode: Mode,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<WorkerStats> {
        let cfg = &self.config;
        if cfg.concurrency == 0 {
            return Err(Error::invalid("worker concurrency must be at least 1"));
        }
        let heartbeat = cfg
            .heartbeat
            .min(cfg.lease / 3)
            .max(Duration::from_millis(10));
        let db = self.engine.writer().clone();
        let worker_id = super::register_worker(&db).await?;
        let counters = Arc::new(Counters::default());
        let (done_tx, done_rx) = mpsc::unbounded_channel::<(Uuid, Uuid)>();
        let flusher = tokio::spawn(flush_completions(
            db.clone(),
            done_rx,
            cfg.completion_batch.max(1),
            cfg.flush_interval,
            counters.clone(),
        ));
        let (cp_tx, cp_rx) = mpsc::unbounded_channel::<CheckpointRequest>();
        let cp_writer = tokio::spawn(write_checkpoints(
            db.clone(),
            cp_rx,
            cfg.completion_batch.max(1),
            cfg.lease,
        ));
        // Jobs in flight, for release on shutdown.
        let held: Arc<Mutex<HashMap<Uuid, ClaimedJob>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let mut last_rescue = tokio::time::Instant::now() - cfg.rescue_interval;
        // The first pass records a heartbeat at once.
        let mut last_beat = tokio::time::Instant::now() - heartbeat;
        tokio::pin!(shutdown);
        let result: Result<()> = async {
            loop {
                while tasks.try_join_next().is_some() {}
                if last_rescue.elapsed() >= cfg.rescue_interval {
                    let r = super::rescue_expired(&db, &cfg.backoff).await?;
                    counters
                        .rescued
                        .fetch_add((r.requeued.len() + r.failed.len()) as u64, Ordering::SeqCst);
                    self.handler.on_idle(&self.engine).await?;
                    last_rescue = tokio::time::Instant::now();
                }
                if last_beat.elapsed() >= heartbeat {
                    super::worker_heartbeat(&db, worker_id, tasks.len() as i32).await?;
                    last_beat = tokio::time::Instant::now();
                }
                let free = cfg.concurrency.saturating_sub(tasks.len());
                let claimed = if free > 0 {
                    super::claim(&db, worker_id, free as u32, cfg.lease).await?
                } else {
                    Vec::new()
                };
                counters
                    .claimed
                    .fetch_add(claimed.len() as u64, Ordering::SeqCst);
                let got = claimed.len();
                for job in claimed {
                    held.lock().await.insert(job.job_id, job.clone());
                    tasks.spawn(run_job(
                        self.engine.clone(),
                        self.handler.clone(),
                        job,
                        cfg.clone(),
                        heartbeat,
                        done_tx.clone(),
                        cp_tx.clone(),
                        counters.clone(),
                        held.clone(),
                    ));
                }
                if got > 0 && tasks.len() < cfg.concurrency {
                    continue;
                }
                if matches!(mode, Mode::UntilIdle) && tasks.is_empty() && got == 0 {
                    let c = super::counts(&db).await?;
                    let open = c.get(super::QUEUED).copied().unwrap_or(0)
                        + c.get(super::IN_PROGRESS).copied().unwrap_or(0);
                    if open == 0 {
                        self.handler.on_idle(&self.engine).await?;
                        return Ok(());
                    }
                    if c.get(super::QUEUED).copied().unwrap_or(0) == 0 {
                        // Only other workers' leases are open: look for expired ones sooner.
                        last_rescue =
                            last_rescue.min(tokio::time::Instant::now() - cfg.rescue_interval / 2);
                    }
                }
                let wait = if tasks.len() >= cfg.concurrency {
                    cfg.poll_interval.min(Duration::from_millis(20))
                } else {
                    cfg.poll_interval
                };
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
        .await;
        // Graceful stop: let running jobs finish for a while, then release the rest.
        let drained = tokio::time::timeout(cfg.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            let left: Vec<ClaimedJob> = held.lock().await.drain().map(|(_, j)| j).collect();
            for job in left {
                if self.engine.queue().release(&job).await.is_ok() {
                    counters.released.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        drop(done_tx);
        drop(cp_tx);
        let _ = cp_writer.await;
        let _ = super::worker_heartbeat(&db, worker_id, 0).await;
        let flushed = flusher
            .await
            .map_err(|e| Error::Config(format!("completion flusher: {e}")))?;
        super::stop_worker(&db, worker_id).await?;
        result?;
        flushed?;
        Ok(counters.snapshot())
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_job(
    engine: Engine,
    handler: Arc<dyn JobHandler>,
    job: ClaimedJob,
    cfg: WorkerConfig,
    heartbeat: Duration,
    done: mpsc::UnboundedSender<(Uuid, Uuid)>,
    checkpoints: mpsc::UnboundedSender<CheckpointRequest>,
    counters: Arc<Counters>,
    held: Arc<Mutex<HashMap<Uuid, ClaimedJob>>>,
) {
    let lost = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicBool::new(false));
    let ctx = JobContext {
        engine: engine.clone(),
        job: job.clone(),
        lease: cfg.lease,
        lost: lost.clone(),
        completed: completed.clone(),
        checkpoints,
    };
    let beat = {
        let engine = engine.clone();
        let lost = lost.clone();
        let (job, lease) = (job.clone(), cfg.lease);
        async move {
            let id = job.job_id;
            let mut tick = tokio::time::interval(heartbeat);
            tick.tick().await;
            loop {
                tick.tick().await;
                match engine.queue().heartbeat(&job, lease).await {
                    Ok(_) => {}
                    Err(Error::LeaseLost { .. }) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => tracing::warn!(job = %id, error = %e, "heartbeat failed; retrying"),
                }
            }
        }
    };
    let outcome = tokio::select! {
        r = handler.handle(&ctx) => Some(r),
        _ = beat => None,
    };
    held.lock().await.remove(&job.job_id);
    let db = engine.writer();
    match outcome {
        // Committed by the handler: a heartbeat that found the job no longer in progress
        // afterwards, or an error after the commit, changes nothing.
        _ if completed.load(Ordering::SeqCst) => {
            counters.completed.fetch_add(1, Ordering::SeqCst);
        }
        None => {
            counters.lost.fetch_add(1, Ordering::SeqCst);
        }
        Some(_) if lost.load(Ordering::SeqCst) => {
            counters.lost.fetch_add(1, Ordering::SeqCst);
        }
        Some(Ok(())) => {
            let _ = done.send((job.job_id, job.lock_token));
        }
        Some(Err(e)) => {
            let (msg, retryable) = match &e {
                JobError::Retryable(m) => (m.as_str(), true),
                JobError::Permanent(m) => (m.as_str(), false),
            };
            match super::fail(db, &job, msg, retryable, &cfg.backoff).await {
                Ok(FailOutcome::Retried(_)) => {
                    counters.retried.fetch_add(1, Ordering::SeqCst);
                }
                Ok(FailOutcome::Failed) => {
                    counters.failed.fetch_add(1, Ordering::SeqCst);
                }
                Err(Error::LeaseLost { .. }) => {
                    counters.lost.fetch_add(1, Ordering::SeqCst);
                }
                Err(err) => {
                    tracing::error!(job = %job.job_id, error = %err, "could not record a job failure; its lease will expire and rescue will retry it")
                }
            }
        }
    }
}

async fn flush_completions(
    db: sea_orm::DatabaseConnection,
    mut rx: mpsc::UnboundedReceiver<(Uuid, Uuid)>,
    batch: usize,
    every: Duration,
    counters: Arc<Counters>,
) -> Result<()> {
    let mut pending: Vec<(Uuid, Uuid)> = Vec::with_capacity(batch);
    loop {
        let closed = tokio::select! {
            m = rx.recv() => match m {
                Some(x) => { pending.push(x); false }
                None => true,
            },
            _ = tokio::time::sleep(every), if !pending.is_empty() => false,
        };
        while pending.len() < batch {
            match rx.try_recv() {
                Ok(x) => pending.push(x),
                Err(_) => break,
            }
        }
        if !pending.is_empty() && (closed || pending.len() >= batch || rx.is_empty()) {
            let tx = crate::db::begin(&db, crate::db::Scope::System).await?;
            let done = super::complete_many(&tx, &pending).await?;
            tx.commit().await?;
            counters
                .completed
                .fetch_add(done.len() as u64, Ordering::SeqCst);
            counters
                .lost
                .fetch_add((pending.len() - done.len()) as u64, Ordering::SeqCst);
            pending.clear();
        }
        if closed {
            return Ok(());
        }
    }
}

/// The worker's checkpoint writer: takes every checkpoint waiting (up to `batch`) and
/// commits them in one transaction, then answers each job. While one transaction runs the
/// next ones queue, so the busier the worker, the more each transaction carries.
async fn write_checkpoints(
    db: sea_orm::DatabaseConnection,
    mut rx: mpsc::UnboundedReceiver<CheckpointRequest>,
    batch: usize,
    lease: Duration,
) {
    while let Some(first) = rx.recv().await {
        let mut pending = vec![first];
        while pending.len() < batch {
            match rx.try_recv() {
                Ok(x) => pending.push(x),
                Err(_) => break,
            }
        }
        // A job waits for its answer before its next checkpoint, so a (job, step) pair
        // appears once; one INSERT … ON CONFLICT may not touch a row twice, so make sure.
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::with_capacity(pending.len());
        for p in pending.iter().rev() {
            if seen.insert((p.row.job_id, p.row.step.clone())) {
                rows.push(p.row.clone());
            }
        }
        let written: Result<Vec<Uuid>> = async {
            let tx = crate::db::begin(&db, crate::db::Scope::System).await?;
            let held = super::checkpoint_many(&tx, &rows, lease).await?;
            tx.commit().await?;
            Ok(held)
        }
        .await;
        for p in pending {
            let answer = match &written {
                Ok(held) if held.contains(&p.row.job_id) => Ok(()),
                Ok(_) => Err(Error::LeaseLost {
                    job_id: p.row.job_id,
                }),
                Err(e) => Err(Error::Database(sea_orm::DbErr::Custom(format!(
                    "checkpoint not written: {e}"
                )))),
            };
            // A job that stopped waiting has nothing to be told.
            let _ = p.reply.send(answer);
        }
    }
}
