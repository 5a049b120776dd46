//! A pipeline worker process for the crash test in tests/tests/pipeline.rs: it runs
//! `engine.worker(..).run(..)` against a database and store until killed, with the
//! scripted model answering `score_resume` calls after a fixed latency, so the test can kill it while a job
//! waits on the model between two checkpoints.
//!
//! Usage: pipeline_worker DATABASE_URL STORE_DIR KEY_FILE LLM_LATENCY_MS LEASE_MS

use std::sync::Arc;
use std::time::Duration;

use resumeflow::{Engine, LocalKeyProvider, WorkerConfig};
use resumeflow_tests::ScriptedLlm;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, store, key, latency, lease] = &args[..] else {
        return Err(
            "usage: pipeline_worker DATABASE_URL STORE_DIR KEY_FILE LLM_LATENCY_MS LEASE_MS".into(),
        );
    };
    let engine = Engine::builder()
        .database_url(url)
        .store_url(format!("file://{store}"))
        .keys(Arc::new(LocalKeyProvider::from_file(
            std::path::Path::new(key),
        )?))
        .llm(Arc::new(
            ScriptedLlm::new(Duration::from_millis(latency.parse()?)).slow_only_for("score_resume"),
        ))
        .build()
        .await?;
    let lease = Duration::from_millis(lease.parse()?);
    let cfg = WorkerConfig {
        concurrency: 2,
        lease,
        heartbeat: lease / 3,
        poll_interval: Duration::from_millis(50),
        ..Default::default()
    };
    println!("ready");
    engine.worker(cfg).run(std::future::pending()).await?;
    Ok(())
}
