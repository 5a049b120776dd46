//! The pipeline end to end, on SQLite and PostgreSQL: a batch of the evaluation resumes
//! runs to ranked results; broken files fail alone; replay reruns only what was asked; a
//! worker process killed between steps leaves a job another worker finishes from its
//! last checkpoint, with exactly one resume, one score and one result for it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use resumeflow::{
    BatchStatus, Engine, Error, FileStatus, LocalKeyProvider, NewBatch, NewJobDescription, Session,
    WorkerConfig,
};
use resumeflow_tests::{ScriptedLlm, TestDb, both_backends, count, owner_session, strings};
use uuid::Uuid;

fn eval_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/eval"))
}

/// The first `n` resume documents of the evaluation corpus, in name order.
fn eval_docs(n: usize) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(eval_dir().join("resumes"))
        .expect("../shared/eval/resumes")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x != "json"))
        .collect();
    docs.sort();
    docs.truncate(n);
    docs
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(20),
        rescue_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

async fn backend_jd_batch(s: &Session) -> Uuid {
    let text = std::fs::read_to_string(eval_dir().join("jds/jd-backend-engineer.md")).unwrap();
    let jd = s
        .job_descriptions()
        .create(NewJobDescription {
            title: "Backend engineer".into(),
            text: Some(text),
            parameters: serde_json::Value::Null,
        })
        .await
        .unwrap();
    s.batches()
        .create(NewBatch {
            jd_id: jd.jd_id,
            name: Some("eval".into()),
            weightage_profile_id: None,
        })
        .await
        .unwrap()
        .batch_id
}

/// A submitted batch of the first `n` evaluation documents against the backend JD.
async fn submitted_eval_batch(s: &Session, n: usize) -> Uuid {
    let b = backend_jd_batch(s).await;
    for p in eval_docs(n) {
        s.batches().add_path(b, p).await.unwrap();
    }
    s.batches().submit(b).await.unwrap();
    b
}

async fn a_batch_runs_to_ranked_results(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "acme").await;
    let b = backend_jd_batch(&s).await;
    let docs = eval_docs(16);
    for p in &docs {
        s.batches().add_path(b, p).await.unwrap();
    }
    // A PDF that is not one, and an empty file (rejected at upload).
    s.batches()
        .add_bytes(
            b,
            "broken.pdf",
            b"%PDF-1.7\n\x00\x01garbage that is no PDF".to_vec(),
        )
        .await
        .unwrap();
    s.batches()
        .add_bytes(b, "empty.txt", Vec::new())
        .await
        .unwrap();
    s.batches().submit(b).await.unwrap();
    let stats = engine.worker(fast()).run_until_idle().await.unwrap();
    assert_eq!(stats.failed, 0, "{stats:?}");

    let batch = s.batches().get(b).await.unwrap();
    assert_eq!(batch.status, BatchStatus::Completed);
    assert_eq!(batch.total_files as usize, docs.len() + 2);
    assert_eq!(batch.failed_files, 2);
    assert_eq!(batch.processed_files as usize, docs.len());
    let files = s.batches().files(b).await.unwrap();
    let broken = files
        .iter()
        .find(|f| f.original_name == "broken.pdf")
        .unwrap();
    assert_eq!(broken.status, FileStatus::Failed);
    assert_eq!(broken.error_code.as_deref(), Some("extract_failed"));
    assert!(
        files
            .iter()
            .filter(|f| f.original_name != "broken.pdf" && f.original_name != "empty.txt")
            .all(|f| f.status == FileStatus::Completed)
    );

    let results = s.scoring().results(b).await.unwrap();
    // Two documents of one person may share no content, so one result per distinct resume.
    let resumes = count(engine.connection(), "SELECT COUNT(*) FROM resumes").await as usize;
    assert_eq!(results.len(), resumes);
    assert!(resumes >= docs.len() - 1);
    let ranks: Vec<i32> = results.iter().map(|r| r.rank.unwrap()).collect();
    assert_eq!(ranks, (1..=results.len() as i32).collect::<Vec<_>>());
    assert!(
        results
            .windows(2)
            .all(|w| w[0].final_score >= w[1].final_score)
    );
    assert!(
        results
            .iter()
            .all(|r| !r.file_names.is_empty() && !r.reasons.is_empty())
    );
    // The pipeline scored each resume from what its validate step had in hand; scoring it
    // again reads the resume back from the database and the store, and agrees.
    for r in &results {
        let again = s.scoring().score_resume(b, r.resume_id).await.unwrap();
        assert_eq!(again.final_score, r.final_score, "{}", r.resume_id);
    }
    let err = strings(engine.connection(), "SELECT code FROM error_logs").await;
    assert!(err.contains(&"extract_failed".to_owned()), "{err:?}");
    // Every job finished with all four checkpoints, except the broken file's.
    let jobs = s.jobs(b).await.unwrap();
    assert_eq!(jobs.len(), docs.len() + 1);
    assert!(jobs.iter().all(|j| j.status == "completed"));
    assert_eq!(
        jobs.iter().filter(|j| j.steps.len() == 4).count(),
        docs.len()
    );

    // The same content in a new batch is not parsed again: its resumes are reused.
    let b2 = backend_jd_batch(&s).await;
    for p in &docs[..3] {
        s.batches().add_path(b2, p).await.unwrap();
    }
    s.batches().submit(b2).await.unwrap();
    engine.worker(fast()).run_until_idle().await.unwrap();
    assert_eq!(
        count(engine.connection(), "SELECT COUNT(*) FROM resumes").await as usize,
        resumes
    );
    assert_eq!(s.scoring().results(b2).await.unwrap().len(), 3);
}
both_backends!(
    a_batch_runs_to_ranked_results,
    a_batch_runs_to_ranked_results
);

async fn replay_reruns_only_what_was_asked(db: &TestDb) {
    let llm = Arc::new(ScriptedLlm::default());
    let engine = db.engine_with_llm(llm.clone()).await;
    let s = owner_session(&engine, "acme").await;
    let b = submitted_eval_batch(&s, 3).await;
    engine.worker(fast()).run_until_idle().await.unwrap();
    let before = s.scoring().results(b).await.unwrap();
    assert!(before.iter().all(|r| r.ai_score.is_some()));
    let (parses, scores) = (llm.calls_for("parse_resume"), llm.calls_for("score_resume"));
    assert_eq!(parses, 3);
    let job = s.jobs(b).await.unwrap()[0].clone();
    // When a step of the job was checkpointed (bound as a value: SQLite keeps ids as blobs).
    let cp_times = |step: &'static str| {
        let engine = engine.clone();
        let job = job.job_id;
        async move {
            use resumeflow::pipeline::entity::checkpoints;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            checkpoints::Entity::find()
                .filter(checkpoints::Column::JobId.eq(job))
                .filter(checkpoints::Column::Step.eq(step))
                .one(engine.connection())
                .await
                .unwrap()
                .map(|c| c.created_at)
        }
    };
    let extract_at = cp_times("extract").await;
    assert!(extract_at.is_some());

    // From score: extract, parse and validate stay; scoring runs again, from the stored AI score.
    let r = s.replay(job.job_id, "score").await.unwrap();
    assert_eq!(r.dropped_steps, ["score"]);
    assert_eq!(
        s.jobs(b).await.unwrap()[0].steps,
        ["extract", "parse", "validate"]
    );
    engine.worker(fast()).run_until_idle().await.unwrap();
    assert_eq!(s.jobs(b).await.unwrap()[0].steps.len(), 4);
    assert_eq!(
        cp_times("extract").await,
        extract_at,
        "extract did not run again"
    );
    assert_eq!(
        (llm.calls_for("parse_resume"), llm.calls_for("score_resume")),
        (parses, scores)
    );

    // From parse: the parse reruns, answered from the LLM cache: still no call.
    s.replay(job.job_id, "parse").await.unwrap();
    engine.worker(fast()).run_until_idle().await.unwrap();
    assert_eq!(
        (llm.calls_for("parse_resume"), llm.calls_for("score_resume")),
        (parses, scores)
    );
    let after = s.scoring().results(b).await.unwrap();
    assert_eq!(
        before
            .iter()
            .map(|r| (r.resume_id, r.final_score))
            .collect::<Vec<_>>(),
        after
            .iter()
            .map(|r| (r.resume_id, r.final_score))
            .collect::<Vec<_>>()
    );
    let conn = engine.connection();
    assert_eq!(count(conn, "SELECT COUNT(*) FROM resumes").await, 3);
    assert_eq!(count(conn, "SELECT COUNT(*) FROM results").await, 3);
    assert_eq!(s.batches().get(b).await.unwrap().processed_files, 3);

    // A checkpoint whose payload is gone, or not what its row recorded, is run again.
    let store = engine.store().unwrap();
    let key = |step: &str| format!("t/{}/jobs/{}/{step}.json", s.tenant_id(), job.job_id);
    store.delete(&key("extract")).await.unwrap();
    store
        .put(&key("validate"), b"not the checkpoint".to_vec().into())
        .await
        .unwrap();
    s.replay(job.job_id, "score").await.unwrap();
    engine.worker(fast()).run_until_idle().await.unwrap();
    assert_ne!(cp_times("extract").await, extract_at, "extract ran again");
    assert_eq!(s.jobs(b).await.unwrap()[0].steps.len(), 4);
    assert!(store.get(&key("extract")).await.is_ok());
    assert_eq!(count(conn, "SELECT COUNT(*) FROM resumes").await, 3);
    assert_eq!(count(conn, "SELECT COUNT(*) FROM results").await, 3);
    assert_eq!(
        (llm.calls_for("parse_resume"), llm.calls_for("score_resume")),
        (parses, scores)
    );

    // Bad requests are typed.
    assert!(matches!(
        s.replay(job.job_id, "render").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        s.replay(Uuid::nil(), "score").await,
        Err(Error::NotFound { .. })
    ));
    let other = owner_session(&engine, "other").await;
    assert!(matches!(
        other.replay(job.job_id, "score").await,
        Err(Error::NotFound { .. })
    ));
}
both_backends!(
    replay_reruns_only_what_was_asked,
    replay_reruns_only_what_was_asked
);

async fn a_killed_worker_is_finished_from_its_checkpoint(db: &TestDb) {
    let key_file = db.store_dir().with_file_name("master.key");
    let keys = Arc::new(LocalKeyProvider::from_file(&key_file).unwrap());
    let llm = Arc::new(ScriptedLlm::default());
    let engine = Engine::builder()
        .database_url(&db.url)
        .store_url(format!("file://{}", db.store_dir().display()))
        .keys(keys)
        .llm(llm.clone())
        .build()
        .await
        .unwrap();
    engine.migrate().await.unwrap();
    let s = owner_session(&engine, "acme").await;
    let b = backend_jd_batch(&s).await;
    let doc = &eval_docs(1)[0];
    s.batches().add_path(b, doc).await.unwrap();
    s.batches().submit(b).await.unwrap();

    // A worker process whose model answers after 30 s: it checkpoints extract, parse and
    // validate quickly, then waits in the score step's call. It is killed there.
    std::fs::create_dir_all(db.store_dir()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pipeline_worker"))
        .args([
            db.url.clone(),
            db.store_dir().display().to_string(),
            key_file.display().to_string(),
            "30000".into(),
            "1500".into(),
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the worker");
    let conn = engine.connection();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let steps = count(conn, "SELECT COUNT(*) FROM checkpoints").await;
        // The score step's model call is scripted only after parse, so with extract,
        // parse and validate checkpointed the worker is inside score.
        if steps == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker made no progress"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let at = strings(
        conn,
        "SELECT step || '@' || CAST(created_at AS TEXT) FROM checkpoints ORDER BY step",
    )
    .await;
    child.kill().expect("kill the worker");
    child.wait().unwrap();
    assert_eq!(
        count(
            conn,
            "SELECT COUNT(*) FROM jobs WHERE status = 'in_progress'"
        )
        .await,
        1
    );

    // Another worker rescues the expired lease and finishes from the last checkpoint.
    let stats = engine.worker(fast()).run_until_idle().await.unwrap();
    assert!(stats.rescued >= 1, "{stats:?}");
    let after = strings(
        conn,
        "SELECT step || '@' || CAST(created_at AS TEXT) FROM checkpoints ORDER BY step",
    )
    .await;
    assert_eq!(after.len(), 4);
    for old in &at {
        assert!(after.contains(old), "{old} was rewritten: {after:?}");
    }
    // The first steps did not run again here: this process's model parsed nothing.
    assert_eq!(llm.calls_for("parse_resume"), 0);
    assert_eq!(llm.calls_for("score_resume"), 1);
    for table in [
        "resumes",
        "local_match_scores",
        "ai_scores",
        "score_resolutions",
        "results",
    ] {
        assert_eq!(
            count(conn, &format!("SELECT COUNT(*) FROM {table}")).await,
            1,
            "{table}"
        );
    }
    let batch = s.batches().get(b).await.unwrap();
    assert_eq!(
        (batch.status, batch.processed_files),
        (BatchStatus::Completed, 1)
    );
    assert_eq!(s.scoring().results(b).await.unwrap()[0].rank, Some(1));
}
both_backends!(
    a_killed_worker_is_finished_from_its_checkpoint,
    a_killed_worker_is_finished_from_its_checkpoint
);

/// A job that died without the pipeline marking its file (here: failed through the queue
/// directly, as the rescue pass fails a job whose lease expired on its last attempt) has its
/// file marked failed by the worker's sweep, and its batch completes.
/// The claim moves each file to `processing` and reads what the first step needs: where
/// its content is, and the resume when the tenant parsed that content before.
async fn the_claim_reads_each_file_for_the_first_step(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "claims").await;
    let text = b"Ada Lovelace\nada@example.org\n\nExperience\nEngineer, Analytical Engines Ltd\n2019 - Present\n\nSkills\nPython, PostgreSQL\n".to_vec();
    let q = engine.queue();
    let worker = q.register_worker().await.unwrap();
    let mut resume = None;
    for round in 0..2 {
        let b = backend_jd_batch(&s).await;
        let added = s
            .batches()
            .add_bytes(b, "ada.txt", text.clone())
            .await
            .unwrap();
        s.batches().submit(b).await.unwrap();
        let jobs = q.claim(worker, 10, Duration::from_secs(30)).await.unwrap();
        assert_eq!(jobs.len(), 1);
        let file = jobs[0].file.clone().expect("read with the claim");
        assert_eq!(file.storage_object_id, added.file.storage_object_id);
        assert!(file.storage_path.is_some());
        // The first time the content is new; the second time its resume is reused.
        assert_eq!(file.resume_id, resume, "round {round}");
        assert_eq!(
            s.batches().files(b).await.unwrap()[0].status,
            FileStatus::Processing
        );
        // Handed back and run by a worker, which parses only the first time.
        q.release(&jobs[0]).await.unwrap();
        engine.worker(fast()).run_until_idle().await.unwrap();
        assert_eq!(
            s.batches().get(b).await.unwrap().status,
            BatchStatus::Completed
        );
        resume = Some(
            s.scoring()
                .results(b)
                .await
                .unwrap()
                .first()
                .expect("a result")
                .resume_id,
        );
    }
}
both_backends!(
    the_claim_reads_each_file_for_the_first_step,
    the_claim_reads_each_file_for_the_first_step
);

async fn a_job_failed_outside_the_pipeline_fails_its_file(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "acme").await;
    let b = submitted_eval_batch(&s, 2).await;
    let q = engine.queue();
    let worker = q.register_worker().await.unwrap();
    let job = q
        .claim(worker, 1, Duration::from_secs(30))
        .await
        .unwrap()
        .pop()
        .unwrap();
    q.fail(&job, "lease expired", false, &Default::default())
        .await
        .unwrap();
    engine.worker(fast()).run_until_idle().await.unwrap();
    let batch = s.batches().get(b).await.unwrap();
    assert_eq!(
        (batch.status, batch.processed_files, batch.failed_files),
        (BatchStatus::Completed, 1, 1)
    );
    let files = s.batches().files(b).await.unwrap();
    let failed = files
        .iter()
        .find(|f| f.file_id == job.file_id.unwrap())
        .unwrap();
    assert_eq!(failed.status, FileStatus::Failed);
    assert_eq!(failed.error_code.as_deref(), Some("job_failed"));
    assert_eq!(s.scoring().results(b).await.unwrap()[0].rank, Some(1));
}
both_backends!(
    a_job_failed_outside_the_pipeline_fails_its_file,
    a_job_failed_outside_the_pipeline_fails_its_file
);

/// A worker that dies after a file's last transaction commits, but before the file is
/// counted in its batch (on PostgreSQL that is a separate transaction), leaves the batch
/// processing with a final file not counted. The next idle worker counts it, once.
async fn a_file_not_counted_is_counted_by_the_next_idle_worker(db: &TestDb) {
    use sea_orm::ConnectionTrait;
    let engine = db.engine().await;
    let s = owner_session(&engine, "acme").await;
    let b = submitted_eval_batch(&s, 2).await;
    engine.worker(fast()).run_until_idle().await.unwrap();
    let conn = engine.connection();
    let run = |sql: &str, id: Uuid| {
        let backend = conn.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => sql.replace('?', "$1"),
            _ => sql.to_owned(),
        };
        async move {
            conn.execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [id.into()],
            ))
            .await
            .unwrap()
            .rows_affected()
        }
    };
    // The database holds this one batch.
    assert_eq!(
        count(conn, "SELECT COUNT(*) FROM files WHERE counted").await,
        2
    );
    // The state the crash leaves: the last file completed, its count not made.
    let last = s.batches().files(b).await.unwrap()[1].file_id;
    assert_eq!(
        run("UPDATE files SET counted = false WHERE file_id = ?", last).await,
        1
    );
    run(
        "UPDATE batches SET status = 'processing', completed_at = NULL, \
         processed_files = processed_files - 1 WHERE batch_id = ?",
        b,
    )
    .await;
    run("UPDATE results SET rank = NULL WHERE batch_id = ?", b).await;
    for _ in 0..2 {
        engine.worker(fast()).run_until_idle().await.unwrap();
        let batch = s.batches().get(b).await.unwrap();
        assert_eq!(
            (batch.status, batch.processed_files, batch.failed_files),
            (BatchStatus::Completed, 2, 0)
        );
        assert_eq!(
            count(conn, "SELECT COUNT(*) FROM files WHERE counted").await,
            2
        );
    }
    let mut ranks: Vec<_> = s
        .scoring()
        .results(b)
        .await
        .unwrap()
        .iter()
        .map(|r| r.rank)
        .collect();
    ranks.sort();
    assert_eq!(ranks, [Some(1), Some(2)]);
}
both_backends!(
    a_file_not_counted_is_counted_by_the_next_idle_worker,
    a_file_not_counted_is_counted_by_the_next_idle_worker
);

/// Two workers, as on two machines, share one PostgreSQL and one S3 bucket (moto, started
/// by scripts/test.sh): every file is processed once, every resume has one result, and
/// nothing in the bucket is readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_postgres_and_s3() {
    let Ok(endpoint) = std::env::var("RESUMEFLOW_TEST_S3_ENDPOINT") else {
        if std::env::var("RESUMEFLOW_REQUIRE_S3").as_deref() == Ok("1") {
            panic!("RESUMEFLOW_REQUIRE_S3=1 but RESUMEFLOW_TEST_S3_ENDPOINT is not set");
        }
        eprintln!("SKIP two_workers_share_postgres_and_s3: RESUMEFLOW_TEST_S3_ENDPOINT is not set");
        return;
    };
    let Some(db) = TestDb::create(resumeflow_tests::Backend::Postgres).await else {
        return;
    };
    let bucket =
        std::env::var("RESUMEFLOW_TEST_S3_BUCKET").unwrap_or_else(|_| "resumeflow-test".into());
    let prefix = format!("run-{}", Uuid::now_v7().simple());
    let key = [7u8; 32];
    let machine = |llm: Arc<ScriptedLlm>| {
        let (url, endpoint, bucket, prefix) = (
            db.url.clone(),
            endpoint.clone(),
            bucket.clone(),
            prefix.clone(),
        );
        async move {
            Engine::builder()
                .database_url(&url)
                .store_url(format!("s3://{bucket}/{prefix}"))
                .store_options(resumeflow::StoreOptions {
                    endpoint: Some(endpoint),
                    region: Some("us-east-1".into()),
                    access_key_id: Some("testing".into()),
                    secret_access_key: Some("testing".into()),
                    allow_http: true,
                })
                .keys(Arc::new(LocalKeyProvider::new(key)))
                .llm(llm)
                .build()
                .await
                .unwrap()
        }
    };
    let (llm_a, llm_b) = (
        Arc::new(ScriptedLlm::default()),
        Arc::new(ScriptedLlm::default()),
    );
    let a = machine(llm_a.clone()).await;
    let b = machine(llm_b.clone()).await;
    a.migrate().await.unwrap();
    let s = owner_session(&a, "acme").await;
    let batch = backend_jd_batch(&s).await;
    let docs = eval_docs(10);
    for p in &docs {
        s.batches().add_path(batch, p).await.unwrap();
    }
    s.batches().submit(batch).await.unwrap();
    let (wa, wb) = (a.worker(fast()), b.worker(fast()));
    let (ra, rb) = tokio::join!(wa.run_until_idle(), wb.run_until_idle());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra.completed + rb.completed,
        docs.len() as u64,
        "{ra:?} {rb:?}"
    );
    assert_eq!(
        llm_a.calls_for("score_resume") + llm_b.calls_for("score_resume"),
        docs.len(),
        "each resume scored once"
    );
    let got = s.batches().get(batch).await.unwrap();
    assert_eq!(
        (got.status, got.processed_files as usize),
        (BatchStatus::Completed, docs.len())
    );
    let conn = a.connection();
    let resumes = count(conn, "SELECT COUNT(*) FROM resumes").await;
    assert_eq!(count(conn, "SELECT COUNT(*) FROM results").await, resumes);
    assert_eq!(
        count(conn, "SELECT COUNT(*) FROM jobs WHERE status = 'completed'").await as usize,
        docs.len()
    );
    // Sealed on S3: none of the candidates' e-mail addresses in any object.
    let emails: Vec<String> = docs
        .iter()
        .filter_map(|p| {
            let id = p.file_name()?.to_str()?.split('.').next()?.to_owned();
            let truth = std::fs::read(eval_dir().join(format!("resumes/{id}.truth.json"))).ok()?;
            let v: serde_json::Value = serde_json::from_slice(&truth).ok()?;
            v["basics"]["email"].as_str().map(str::to_owned)
        })
        .collect();
    assert!(!emails.is_empty());
    let store = a.store().unwrap();
    let keys = store.list("t").await.unwrap();
    assert!(
        keys.iter().any(|k| k.contains("/jobs/")),
        "checkpoints are on S3"
    );
    for k in keys {
        let bytes = store.get(&k).await.unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!emails.iter().any(|e| text.contains(e.as_str())), "{k}");
    }
    drop((a, b));
    db.cleanup().await;
}

/// Unless told, a worker runs four jobs per call the engine's model may take at once (jobs
/// between their two calls would otherwise leave the model short of work), or two per
/// core without a model.
#[tokio::test]
async fn a_worker_runs_four_jobs_per_model_call_by_default() {
    let build = |llm: Option<usize>| async move {
        let mut b = Engine::builder()
            .database_url("sqlite::memory:")
            .keys(Arc::new(LocalKeyProvider::random()));
        if let Some(calls) = llm {
            b = b
                .llm(Arc::new(ScriptedLlm::default()))
                .llm_policy(resumeflow::LlmPolicy {
                    concurrency: calls,
                    ..Default::default()
                });
        }
        b.build().await.expect("engine")
    };
    let with_model = build(Some(3)).await;
    assert_eq!(with_model.default_jobs(), 12);
    assert_eq!(WorkerConfig::for_engine(&with_model).concurrency, 12);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(build(None).await.default_jobs(), 2 * cores);
}
