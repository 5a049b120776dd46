//! Workers: `engine.runWorker()` until the queue is idle, or `engine.startWorker()` in the
//! background with a handle to stop it.

use std::sync::Mutex;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;
use tokio::sync::{oneshot, watch};

use crate::error::{BindError, promise};

/// Worker settings (all optional; defaults in parentheses).
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct WorkerOptions {
    /// Jobs run at once by this worker (with a model, four per call `llmPolicy.concurrency`
    /// allows at once; without, two per core).
    pub concurrency: Option<u32>,
    /// How long a claim holds a job without a heartbeat, in milliseconds (60000).
    pub lease_ms: Option<u32>,
    /// Heartbeat period in milliseconds, at most a third of the lease (20000).
    pub heartbeat_ms: Option<u32>,
    /// Sleep between polls of an empty queue, in milliseconds (250).
    pub poll_interval_ms: Option<u32>,
    /// How often expired leases of any worker are rescued, in milliseconds (10000).
    pub rescue_interval_ms: Option<u32>,
    /// On stop, how long running jobs may take before they are released, in
    /// milliseconds (30000).
    pub shutdown_grace_ms: Option<u32>,
    /// First retry delay of a failed job, in milliseconds (1000).
    pub retry_backoff_ms: Option<u32>,
}

impl WorkerOptions {
    pub fn to_config(&self, engine: &resumeflow::Engine) -> resumeflow::WorkerConfig {
        let mut c = resumeflow::WorkerConfig::for_engine(engine);
        let ms = |v: u32| Duration::from_millis(v.into());
        if let Some(v) = self.concurrency {
            c.concurrency = v as usize;
        }
        if let Some(v) = self.lease_ms {
            c.lease = ms(v);
        }
        if let Some(v) = self.heartbeat_ms {
            c.heartbeat = ms(v);
        }
        if let Some(v) = self.poll_interval_ms {
            c.poll_interval = ms(v);
        }
        if let Some(v) = self.rescue_interval_ms {
            c.rescue_interval = ms(v);
        }
        if let Some(v) = self.shutdown_grace_ms {
            c.shutdown_grace = ms(v);
        }
        if let Some(v) = self.retry_backoff_ms {
            c.backoff.base = ms(v);
        }
        c
    }
}

/// What a worker did.
#[napi(object)]
#[derive(Clone, Debug)]
pub struct WorkerStats {
    pub claimed: i64,
    pub completed: i64,
    pub retried: i64,
    pub failed: i64,
    /// Results dropped because the lease was lost.
    pub lost: i64,
    pub released: i64,
    pub rescued: i64,
}

impl From<resumeflow::WorkerStats> for WorkerStats {
    fn from(s: resumeflow::WorkerStats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        WorkerStats {
            claimed: n(s.claimed),
            completed: n(s.completed),
            retried: n(s.retried),
            failed: n(s.failed),
            lost: n(s.lost),
            released: n(s.released),
            rescued: n(s.rescued),
        }
    }
}

/// How a background worker ended: its counts, or the code and message of its error.
type Outcome = Option<Result<WorkerStats, (&'static str, String)>>;

/// A worker running in the background.
#[napi]
pub struct WorkerHandle {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    done: watch::Receiver<Outcome>,
}

impl WorkerHandle {
    pub(crate) fn start(worker: resumeflow::queue::Worker) -> Self {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = watch::channel::<Outcome>(None);
        napi::bindgen_prelude::spawn(async move {
            let outcome = worker
                .run(async move {
                    // A dropped handle stops the worker as `stop()` would.
                    let _ = stop_rx.await;
                })
                .await;
            let outcome = outcome.map(WorkerStats::from).map_err(|e| {
                let e = BindError::from(e);
                (e.code, e.message)
            });
            let _ = done_tx.send(Some(outcome));
        });
        WorkerHandle {
            stop: Mutex::new(Some(stop_tx)),
            done: done_rx,
        }
    }
}

#[napi]
impl WorkerHandle {
    /// Asks the worker to stop and resolves with what it did once it has (running jobs
    /// finish, or are released after `shutdownGraceMs`). Calling it again resolves the
    /// same way.
    #[napi]
    pub fn stop(&self, env: &Env) -> napi::Result<AsyncBlock<WorkerStats>> {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
        let mut done = self.done.clone();
        promise(env, async move {
            let ended = || BindError {
                code: crate::error::INTERNAL,
                message: "the worker task ended without a result".into(),
            };
            let outcome: Outcome = done
                .wait_for(Option::is_some)
                .await
                .map(|v| v.clone())
                .map_err(|_| ended())?;
            match outcome {
                Some(Ok(stats)) => Ok(stats),
                Some(Err((code, message))) => Err(BindError { code, message }),
                None => Err(ended()),
            }
        })
    }

    /// Whether the worker is still running (it may be finishing after `stop()`).
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.done.borrow().is_none()
    }
}
