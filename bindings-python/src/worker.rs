//! `WorkerHandle`: a pipeline worker running on the runtime in the background, so the
//! caller keeps its thread (or event loop) for progress, other work, or a clean stop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use resumeflow::{WorkerConfig, WorkerStats};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};

use crate::convert::Json;
use crate::error::to_py;
use crate::runtime;

/// Worker settings from Python keyword arguments (durations in seconds).
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct WorkerOptions {
    concurrency: Option<usize>,
    lease: Option<f64>,
    heartbeat: Option<f64>,
    poll_interval: Option<f64>,
    rescue_interval: Option<f64>,
    shutdown_grace: Option<f64>,
    /// Stop by itself once no job is queued or running anywhere.
    until_idle: bool,
}

impl WorkerOptions {
    fn config(&self, engine: &resumeflow::Engine) -> WorkerConfig {
        let mut c = WorkerConfig::for_engine(engine);
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        if let Some(n) = self.concurrency {
            c.concurrency = n;
        }
        if let Some(s) = self.lease {
            c.lease = secs(s);
        }
        if let Some(s) = self.heartbeat {
            c.heartbeat = secs(s);
        }
        if let Some(s) = self.poll_interval {
            c.poll_interval = secs(s);
        }
        if let Some(s) = self.rescue_interval {
            c.rescue_interval = secs(s);
        }
        if let Some(s) = self.shutdown_grace {
            c.shutdown_grace = secs(s);
        }
        c
    }
}

fn stats_json(s: &WorkerStats) -> Value {
    json!({
        "claimed": s.claimed,
        "completed": s.completed,
        "retried": s.retried,
        "failed": s.failed,
        "lost": s.lost,
        "released": s.released,
        "rescued": s.rescued,
    })
}

type Outcome = Result<Value, Arc<resumeflow::Error>>;

/// A running worker. `stop()` asks it to finish or release its jobs and stop; `join()`
/// waits for it and returns its stats (or raises its error).
#[pyclass(module = "resumeflow._native", frozen)]
pub(crate) struct WorkerHandle {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    done: watch::Receiver<Option<Outcome>>,
}

impl WorkerHandle {
    pub(crate) fn start(engine: resumeflow::Engine, o: WorkerOptions) -> Self {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = watch::channel(None);
        let config = o.config(&engine);
        let until_idle = o.until_idle;
        runtime().spawn(async move {
            let worker = engine.worker(config);
            let shutdown = async {
                let _ = stop_rx.await;
            };
            let result = if until_idle {
                // The until-idle run has no shutdown hook: a stop ends it gracefully by
                // switching to a run that stops at once, releasing what it holds.
                tokio::select! {
                    r = worker.run_until_idle() => r,
                    () = shutdown => worker.run(async {}).await,
                }
            } else {
                worker.run(shutdown).await
            };
            let _ = done_tx.send(Some(result.map(|s| stats_json(&s)).map_err(Arc::new)));
        });
        WorkerHandle {
            stop: Mutex::new(Some(stop_tx)),
            done: done_rx,
        }
    }

    fn outcome(&self) -> Option<Outcome> {
        self.done.borrow().clone()
    }
}

fn deliver<'py>(py: Python<'py>, o: Outcome) -> PyResult<Bound<'py, PyAny>> {
    match o {
        Ok(v) => Json(v).into_pyobject(py),
        Err(e) => Err(to_py(py, &e)),
    }
}

#[pymethods]
impl WorkerHandle {
    /// Asks the worker to stop; it finishes or releases its jobs first. Idempotent.
    fn stop(&self) {
        if let Some(tx) = self.stop.lock().expect("stop lock").take() {
            let _ = tx.send(());
        }
    }

    /// True once the worker has stopped.
    fn is_finished(&self) -> bool {
        self.done.borrow().is_some()
    }

    /// Waits (GIL released) up to `timeout` seconds, or for ever without one. Returns the
    /// worker's stats, or None if it is still running after `timeout`.
    #[pyo3(signature = (timeout=None))]
    fn join<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let mut rx = self.done.clone();
        let wait = async move {
            let _ = rx.wait_for(|o| o.is_some()).await;
        };
        py.detach(|| match timeout {
            Some(t) => {
                let limit = Duration::from_secs_f64(t.max(0.0));
                // The timer is made inside the runtime (it needs its reactor).
                let _ = runtime().block_on(async move { tokio::time::timeout(limit, wait).await });
            }
            None => runtime().block_on(wait),
        });
        match self.outcome() {
            Some(o) => deliver(py, o),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// `join()` as a coroutine (no timeout: wrap it in `asyncio.wait_for`).
    fn join_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut rx = self.done.clone();
        crate::runtime::future_into_py(py, async move {
            let outcome = rx
                .wait_for(|o| o.is_some())
                .await
                .ok()
                .and_then(|o| o.clone());
            match outcome {
                Some(Ok(v)) => Ok(Json(v)),
                Some(Err(e)) => Err(Python::attach(|py| to_py(py, &e))),
                None => Ok(Json(Value::Null)),
            }
        })
    }
}
