//! The job queue against the classic bugs: double runs, lost jobs, zombie workers writing
//! after their lease was taken over, retries that never end. Each test on both backends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use resumeflow::queue::{
    Backoff, FailOutcome, JobContext, JobError, JobHandler, NewJob, WorkerConfig,
};
use resumeflow::{Engine, Error, NewTenant};
use resumeflow_tests::{TestDb, both_backends, count};
use uuid::Uuid;

async fn setup(db: &TestDb) -> (Engine, Uuid) {
    let engine = db.engine().await;
    let t = engine
        .tenants()
        .create(NewTenant {
            name: "Q".into(),
            slug: format!("q-{}", &Uuid::now_v7().simple().to_string()[20..]),
            ..Default::default()
        })
        .await
        .unwrap();
    (engine, t.tenant_id)
}

fn fast() -> Backoff {
    Backoff {
        base: Duration::from_millis(20),
        max: Duration::from_millis(100),
    }
}

/// Records every run of every job.
#[derive(Default)]
struct Recorder {
    runs: Mutex<HashMap<Uuid, u32>>,
}

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, ctx: &JobContext) -> Result<(), JobError> {
        *self
            .runs
            .lock()
            .unwrap()
            .entry(ctx.job().job_id)
            .or_default() += 1;
        Ok(())
    }
}

async fn eight_workers_drain_2000_exactly_once(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let jobs: Vec<NewJob> = (0..2000)
        .map(|i| NewJob {
            priority: i % 7,
            ..NewJob::new(tenant, "noop")
        })
        .collect();
    let ids = engine.queue().enqueue(&jobs).await.unwrap();
    assert_eq!(ids.len(), 2000);
    let recorder = Arc::new(Recorder::default());
    let cfg = WorkerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(5),
        ..Default::default()
    };
    let mut handles = Vec::new();
    for _ in 0..8 {
        let w = engine.worker_with(cfg.clone(), recorder.clone());
        handles.push(tokio::spawn(
            async move { w.run_until_idle().await.unwrap() },
        ));
    }
    let mut completed = 0;
    for h in handles {
        let s = h.await.unwrap();
        assert_eq!(s.lost, 0);
        completed += s.completed;
    }
    assert_eq!(completed, 2000);
    {
        let runs = recorder.runs.lock().unwrap();
        assert_eq!(runs.len(), 2000, "every job ran");
        assert!(runs.values().all(|&n| n == 1), "no job ran twice");
    }
    let c = engine.queue().counts().await.unwrap();
    assert_eq!(c.get("completed"), Some(&2000));
    assert_eq!(c.len(), 1, "{c:?}");
    // Eight worker rows, each stopped, with heartbeats recorded.
    let conn = engine.connection();
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM workers WHERE status = 'stopped' AND pid > 0 AND host <> ''"
        )
        .await,
        8
    );
    assert!(count(conn, "SELECT COUNT(*) FROM worker_heartbeats").await >= 8);
}
both_backends!(
    eight_workers_drain_2000_exactly_once,
    eight_workers_drain_2000_exactly_once
);

async fn zombie_cannot_write_after_rescue(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let q = engine.queue();
    q.enqueue(&[NewJob::new(tenant, "parse")]).await.unwrap();
    let (a, b) = (
        q.register_worker().await.unwrap(),
        q.register_worker().await.unwrap(),
    );
    let held_a = q
        .claim(a, 10, Duration::from_millis(200))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(held_a.attempts, 1);
    // A heartbeats while it holds the lease.
    q.heartbeat(&held_a, Duration::from_millis(200))
        .await
        .unwrap();
    assert!(
        q.claim(b, 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "a held job is not claimable"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = q
        .rescue_expired(&Backoff {
            base: Duration::ZERO,
            max: Duration::ZERO,
        })
        .await
        .unwrap();
    assert_eq!(r.requeued, vec![held_a.job_id]);
    let held_b = q
        .claim(b, 10, Duration::from_secs(30))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(held_b.job_id, held_a.job_id);
    assert_ne!(held_b.lock_token, held_a.lock_token);
    assert_eq!(held_b.attempts, 2);
    // A comes back from the dead: every write it tries changes nothing and tells it so.
    let lost = |r: resumeflow::Result<()>| matches!(r, Err(Error::LeaseLost { .. }));
    assert!(lost(
        q.heartbeat(&held_a, Duration::from_secs(30))
            .await
            .map(|_| ())
    ));
    assert!(lost(
        q.checkpoint(
            &held_a,
            "extract",
            "t/x/jobs/y/extract.json",
            "00",
            Duration::from_secs(30)
        )
        .await
    ));
    assert!(lost(q.complete(&held_a).await));
    assert!(lost(
        q.fail(&held_a, "boom", true, &fast()).await.map(|_| ())
    ));
    assert!(lost(q.release(&held_a).await));
    assert!(
        q.complete_many(std::slice::from_ref(&held_a))
            .await
            .unwrap()
            .is_empty()
    );
    // No checkpoint was written by A; B's work goes through.
    assert_eq!(
        count(engine.connection(), "SELECT COUNT(*) FROM checkpoints").await,
        0
    );
    q.checkpoint(
        &held_b,
        "extract",
        "t/x/jobs/y/extract.json",
        "ab",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    q.checkpoint(
        &held_b,
        "extract",
        "t/x/jobs/y/extract.json",
        "cd",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(
        count(engine.connection(), "SELECT COUNT(*) FROM checkpoints").await,
        1,
        "checkpoint upserts"
    );
    q.complete(&held_b).await.unwrap();
    let info = q.job(held_b.job_id).await.unwrap();
    assert_eq!((info.status.as_str(), info.attempts), ("completed", 2));
}
both_backends!(
    zombie_cannot_write_after_rescue,
    zombie_cannot_write_after_rescue
);

async fn rescue_fails_after_max_attempts(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let q = engine.queue();
    let id = q
        .enqueue(&[NewJob {
            max_attempts: 2,
            ..NewJob::new(tenant, "parse")
        }])
        .await
        .unwrap()[0];
    let w = q.register_worker().await.unwrap();
    let none = Backoff {
        base: Duration::ZERO,
        max: Duration::ZERO,
    };
    for attempt in 1..=2 {
        let j = q
            .claim(w, 1, Duration::from_millis(50))
            .await
            .unwrap()
            .pop()
            .expect("claimable");
        assert_eq!(j.attempts, attempt);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let r = q.rescue_expired(&none).await.unwrap();
        if attempt == 1 {
            assert_eq!(r.requeued, vec![id]);
        } else {
            assert_eq!(r.failed, vec![id]);
        }
    }
    let info = q.job(id).await.unwrap();
    assert_eq!(info.status, "failed");
    assert_eq!(info.last_error.as_deref(), Some("lease expired"));
    assert!(
        q.claim(w, 1, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty()
    );
    let sql = format!(
        "SELECT COUNT(*) FROM error_logs WHERE code = 'job_lease_expired' AND tenant_id = {}",
        quoted(db, tenant)
    );
    assert_eq!(count(engine.connection(), &sql).await, 1);
}
both_backends!(
    rescue_fails_after_max_attempts,
    rescue_fails_after_max_attempts
);

fn quoted(db: &TestDb, id: Uuid) -> String {
    match db.backend {
        resumeflow_tests::Backend::Postgres => format!("'{id}'"),
        resumeflow_tests::Backend::Sqlite => format!("X'{}'", id.simple()),
    }
}

async fn retries_back_off_then_fail(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let q = engine.queue();
    let id = q
        .enqueue(&[NewJob {
            max_attempts: 3,
            ..NewJob::new(tenant, "score")
        }])
        .await
        .unwrap()[0];
    let w = q.register_worker().await.unwrap();
    let backoff = Backoff {
        base: Duration::from_millis(300),
        max: Duration::from_secs(5),
    };
    let j = q
        .claim(w, 1, Duration::from_secs(30))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let before = chrono::Utc::now();
    let FailOutcome::Retried(at) = q.fail(&j, "LLM timeout", true, &backoff).await.unwrap() else {
        panic!("should retry")
    };
    assert!(
        at >= before + chrono::Duration::milliseconds(300)
            && at <= before + chrono::Duration::milliseconds(400),
        "{at} vs {before}"
    );
    // Not due yet: nothing to claim.
    assert!(
        q.claim(w, 1, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    let j = q
        .claim(w, 1, Duration::from_secs(30))
        .await
        .unwrap()
        .pop()
        .expect("due again");
    assert_eq!(j.attempts, 2);
    // A permanent error fails at once, with an error_logs row.
    assert_eq!(
        q.fail(&j, "unparseable", false, &backoff).await.unwrap(),
        FailOutcome::Failed
    );
    let info = q.job(id).await.unwrap();
    assert_eq!(
        (info.status.as_str(), info.last_error.as_deref()),
        ("failed", Some("unparseable"))
    );
    let sql = format!(
        "SELECT COUNT(*) FROM error_logs WHERE code = 'job_failed' AND tenant_id = {}",
        quoted(db, tenant)
    );
    assert_eq!(count(engine.connection(), &sql).await, 1);

    // Through a worker: a handler that always fails retryably ends failed after max_attempts.
    struct Flaky;
    #[async_trait]
    impl JobHandler for Flaky {
        async fn handle(&self, _: &JobContext) -> Result<(), JobError> {
            Err(JobError::Retryable("upstream 503".into()))
        }
    }
    let id = q
        .enqueue(&[NewJob {
            max_attempts: 3,
            ..NewJob::new(tenant, "flaky")
        }])
        .await
        .unwrap()[0];
    let cfg = WorkerConfig {
        backoff: fast(),
        poll_interval: Duration::from_millis(10),
        ..Default::default()
    };
    let stats = engine
        .worker_with(cfg, Arc::new(Flaky))
        .run_until_idle()
        .await
        .unwrap();
    assert_eq!((stats.retried, stats.failed), (2, 1));
    let info = q.job(id).await.unwrap();
    assert_eq!((info.status.as_str(), info.attempts), ("failed", 3));
}
both_backends!(retries_back_off_then_fail, retries_back_off_then_fail);

async fn priorities_run_at_and_cancel(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let q = engine.queue();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let ids = q
        .enqueue(&[
            NewJob {
                priority: 5,
                ..NewJob::new(tenant, "low")
            },
            NewJob {
                priority: 1,
                ..NewJob::new(tenant, "high")
            },
            NewJob {
                priority: 0,
                run_at: Some(later),
                ..NewJob::new(tenant, "future")
            },
        ])
        .await
        .unwrap();
    let w = q.register_worker().await.unwrap();
    let got = q.claim(w, 10, Duration::from_secs(30)).await.unwrap();
    let kinds: Vec<&str> = got.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["high", "low"],
        "priority order, future job left alone"
    );
    // Cancelling a running job takes its lease away.
    assert!(q.cancel(tenant, got[0].job_id).await.unwrap());
    assert!(matches!(
        q.complete(&got[0]).await,
        Err(Error::LeaseLost { .. })
    ));
    assert!(
        !q.cancel(tenant, got[0].job_id).await.unwrap(),
        "already cancelled"
    );
    // Cancelling from another tenant finds nothing.
    assert!(!q.cancel(Uuid::now_v7(), ids[2]).await.unwrap());
    assert_eq!(q.job(ids[2]).await.unwrap().status, "queued");
    q.complete(&got[1]).await.unwrap();
}
both_backends!(priorities_run_at_and_cancel, priorities_run_at_and_cancel);

async fn enqueue_is_idempotent_per_batch_file_kind(db: &TestDb) {
    let engine = db.engine().await;
    let s = resumeflow_tests::owner_session(&engine, "idem").await;
    let tenant = s.tenant_id();
    let batch = resumeflow_tests::new_batch(&s, None).await;
    let c = engine.connection();
    let file = Uuid::now_v7();
    let job = NewJob {
        batch_id: Some(batch),
        file_id: Some(file),
        ..NewJob::new(tenant, "process_file")
    };
    // Twenty concurrent enqueues of the same key make one job.
    let mut handles = Vec::new();
    for _ in 0..20 {
        let (e, j) = (engine.clone(), job.clone());
        handles.push(tokio::spawn(async move {
            e.queue().enqueue(&[j]).await.unwrap()[0]
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one job for one key");
    assert_eq!(count(c, "SELECT COUNT(*) FROM jobs").await, 1);
    // Another kind for the same file is another job.
    let other = engine
        .queue()
        .enqueue(&[NewJob {
            kind: "rescore".into(),
            ..job
        }])
        .await
        .unwrap();
    assert_ne!(other[0], ids[0]);
}
both_backends!(
    enqueue_is_idempotent_per_batch_file_kind,
    enqueue_is_idempotent_per_batch_file_kind
);

async fn graceful_shutdown_releases_unfinished_jobs(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    struct Slow;
    #[async_trait]
    impl JobHandler for Slow {
        async fn handle(&self, _: &JobContext) -> Result<(), JobError> {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        }
    }
    let ids = engine
        .queue()
        .enqueue(&[NewJob::new(tenant, "slow"), NewJob::new(tenant, "slow")])
        .await
        .unwrap();
    let cfg = WorkerConfig {
        concurrency: 2,
        shutdown_grace: Duration::from_millis(100),
        poll_interval: Duration::from_millis(10),
        ..Default::default()
    };
    let w = engine.worker_with(cfg, Arc::new(Slow));
    let stats = w
        .run(tokio::time::sleep(Duration::from_millis(300)))
        .await
        .unwrap();
    assert_eq!((stats.claimed, stats.released, stats.completed), (2, 2, 0));
    for id in ids {
        let info = engine.queue().job(id).await.unwrap();
        assert_eq!(
            (info.status.as_str(), info.attempts, info.worker_id),
            ("queued", 0, None),
            "released, attempt not counted"
        );
    }
}
both_backends!(
    graceful_shutdown_releases_unfinished_jobs,
    graceful_shutdown_releases_unfinished_jobs
);

/// Writes its checkpoint and one row of its own in one fenced transaction, after another
/// worker took the lease on the first attempt.
struct Atomic;

#[async_trait]
impl JobHandler for Atomic {
    async fn handle(&self, ctx: &JobContext) -> Result<(), JobError> {
        use resumeflow::queue::entity::jobs;
        use sea_orm::sea_query::{Expr, ExprTrait};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let job = ctx.job();
        let db = ctx.engine().connection();
        if job.attempts == 1 {
            // Another worker takes the lease over.
            jobs::Entity::update_many()
                .col_expr(jobs::Column::LockToken, Expr::value(Uuid::now_v7()))
                .filter(jobs::Column::JobId.eq(job.job_id))
                .exec(db)
                .await
                .unwrap();
        }
        let key = format!("t/{}/jobs/{}/extract.json", job.tenant_id, job.job_id);
        let sha = format!("attempt-{}", job.attempts);
        let tx = match ctx.checkpoint_tx("extract", &key, &sha).await {
            Ok(tx) => tx,
            Err(Error::LeaseLost { .. }) => {
                assert!(ctx.lease_lost());
                return Ok(());
            }
            Err(e) => panic!("{e}"),
        };
        // The handler's own write, committed with the checkpoint or not at all.
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::Priority,
                Expr::col(jobs::Column::Priority).add(1),
            )
            .filter(jobs::Column::JobId.eq(job.job_id))
            .exec(&tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        Ok(())
    }
}

async fn checkpoint_tx_commits_the_handlers_writes_with_the_checkpoint(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let priority = NewJob::new(tenant, "atomic").priority;
    let id = engine
        .queue()
        .enqueue(&[NewJob::new(tenant, "atomic")])
        .await
        .unwrap()[0];
    let cfg = WorkerConfig {
        lease: Duration::from_millis(600),
        heartbeat: Duration::from_millis(200),
        rescue_interval: Duration::from_millis(100),
        poll_interval: Duration::from_millis(10),
        backoff: Backoff {
            base: Duration::ZERO,
            max: Duration::ZERO,
        },
        ..Default::default()
    };
    let stats = engine
        .worker_with(cfg, Arc::new(Atomic))
        .run_until_idle()
        .await
        .unwrap();
    // The first attempt lost its lease: no checkpoint, no write; the rescued second
    // attempt wrote both.
    assert_eq!((stats.lost, stats.completed), (1, 1), "{stats:?}");
    let info = engine.queue().job(id).await.unwrap();
    assert_eq!((info.status.as_str(), info.attempts), ("completed", 2));
    let conn = engine.connection();
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM checkpoints WHERE sha256 = 'attempt-2'"
        )
        .await,
        1
    );
    assert_eq!(count(conn, "SELECT COUNT(*) FROM checkpoints").await, 1);
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT COUNT(*) FROM jobs WHERE priority = {}",
                priority + 1
            )
        )
        .await,
        1,
        "the lost attempt's write was rolled back"
    );
}
both_backends!(
    checkpoint_tx_commits_the_handlers_writes_with_the_checkpoint,
    checkpoint_tx_commits_the_handlers_writes_with_the_checkpoint
);

/// Completes its job in its own transaction, then reports an error anyway.
struct CompletesItself;

#[async_trait]
impl JobHandler for CompletesItself {
    async fn handle(&self, ctx: &JobContext) -> Result<(), JobError> {
        let job = ctx.job();
        let key = format!("t/{}/jobs/{}/score.json", job.tenant_id, job.job_id);
        let tx = ctx.completing_tx("score", &key, "last").await.unwrap();
        ctx.commit_completed(tx).await.unwrap();
        Err(JobError::Retryable("an error after the commit".into()))
    }
}

async fn completing_tx_completes_the_job_with_its_last_checkpoint(db: &TestDb) {
    let (engine, tenant) = setup(db).await;
    let id = engine
        .queue()
        .enqueue(&[NewJob::new(tenant, "completes")])
        .await
        .unwrap()[0];
    let cfg = WorkerConfig {
        poll_interval: Duration::from_millis(10),
        ..Default::default()
    };
    let stats = engine
        .worker_with(cfg, Arc::new(CompletesItself))
        .run_until_idle()
        .await
        .unwrap();
    // Completed once, in the handler's transaction: what the handler returned after the
    // commit neither retries nor fails the job.
    assert_eq!(
        (stats.completed, stats.retried, stats.failed, stats.lost),
        (1, 0, 0, 0),
        "{stats:?}"
    );
    let info = engine.queue().job(id).await.unwrap();
    assert_eq!((info.status.as_str(), info.attempts), ("completed", 1));
    let conn = engine.connection();
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM checkpoints WHERE step = 'score' AND sha256 = 'last'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM jobs WHERE completed_at IS NOT NULL AND lease_expires_at IS NULL"
        )
        .await,
        1
    );
}
both_backends!(
    completing_tx_completes_the_job_with_its_last_checkpoint,
    completing_tx_completes_the_job_with_its_last_checkpoint
);
