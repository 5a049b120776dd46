//! The pipeline benchmark: N resumes through extract → parse → validate → score with a
//! scripted model of fixed latency L and a concurrency limit C, on SQLite or PostgreSQL.
//! Prints one JSON line.
//!
//! ```sh
//! cargo run --release -p resumeflow-tests --bin bench_pipeline -- --backend sqlite --n 200 --latency-ms 100 --concurrency 16
//! cargo run --release -p resumeflow-tests --bin bench_pipeline -- --backend postgres --n 200 --latency-ms 100 --concurrency 16
//! ```
//!
//! Two runs on fresh databases: one with the model's latency (wall time against the ideal
//! `calls · L / C`: every resume makes two calls, parse and score), and one with a
//! model that answers at once, whose wall time per resume is the pipeline's own cost
//! (extraction, parsing, validation, scoring, database and store), with C jobs at once.
//! Inputs: the evaluation corpus documents (PDF, DOCX, text) when ../shared/eval is
//! there, then generated text resumes, all distinct (`--synthetic-only`: generated only).
//! The worker runs `--slots K` (default 4) times C jobs at once. `--keep-store` moves the
//! store directories aside instead of deleting them (for consecutive runs on ext4).
//!
//! Each timed batch runs on an engine that has already run another tenant's batch of W
//! generated resumes (`--warmup W`, default K·C: one per job slot), so it measures what a
//! resume costs a worker that is running, not the engine's first minute: its pool's
//! connections opened (a TLS handshake and a server process each) and their first plans of
//! every statement made. None of the warm-up tenant's data (employers, parsed content)
//! helps the timed one. `--warmup 0` measures a cold engine. With `BENCH_TIMELINE=1` each
//! run also prints (to stderr) when its jobs completed: first, 10th/50th/90th percentile
//! and last, in ms from its start.
//!
//! To profile only the timed part of the run without the model's latency, start `perf`
//! disabled with a control FIFO and name it in `BENCH_PERF_CTL`:
//!
//! ```sh
//! mkfifo /tmp/ctl && perf record -a -g -D -1 --control fifo:/tmp/ctl -- \
//!   env BENCH_PERF_CTL=/tmp/ctl bench_pipeline --backend postgres --latency-ms 100
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use resumeflow::{LlmPolicy, WorkerConfig};
use resumeflow_tests::{Backend, ScriptedLlm, TestDb, new_batch, owner_session};

struct Args {
    backend: Backend,
    n: usize,
    latency: Duration,
    concurrency: usize,
    /// Generated text resumes only (no PDF or DOCX extraction).
    synthetic_only: bool,
    /// `file` (a local directory) or `memory`.
    store: String,
    /// Jobs the worker runs at once, as a multiple of C.
    slots: usize,
    /// Move the store directories aside (`$TMPDIR/rf_kept_*`) instead of deleting them,
    /// so that a following run does not pay for their deletion (see `run`).
    keep_store: bool,
    /// Generated resumes run through the same engine, in another tenant, before each timed
    /// batch (`--warmup W`; default K·C, one resume per job slot; 0 for a cold engine).
    warmup: Option<usize>,
}

impl Args {
    fn warmup(&self) -> usize {
        self.warmup.unwrap_or(self.concurrency * self.slots)
    }
}

fn args() -> Args {
    let mut a = Args {
        backend: Backend::Sqlite,
        n: 200,
        latency: Duration::from_millis(100),
        concurrency: 16,
        synthetic_only: false,
        store: "file".into(),
        slots: 4,
        keep_store: false,
        warmup: None,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let v: Vec<String> = v
        .into_iter()
        .filter(|x| {
            let synthetic = x == "--synthetic-only";
            let keep = x == "--keep-store";
            a.synthetic_only |= synthetic;
            a.keep_store |= keep;
            !(synthetic || keep)
        })
        .collect();
    for pair in v.chunks(2) {
        let val = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--backend" => {
                a.backend = match val {
                    "postgres" => Backend::Postgres,
                    _ => Backend::Sqlite,
                }
            }
            "--n" => a.n = val.parse().expect("--n N"),
            "--latency-ms" => {
                a.latency = Duration::from_millis(val.parse().expect("--latency-ms L"))
            }
            "--concurrency" => a.concurrency = val.parse().expect("--concurrency C"),
            "--store" => a.store = val.to_owned(),
            "--slots" => a.slots = val.parse().expect("--slots K (jobs at once = K·C)"),
            "--warmup" => a.warmup = Some(val.parse().expect("--warmup W")),
            other => panic!("unknown argument {other}; see the file's header"),
        }
    }
    a
}

const SKILLS: &[&str] = &[
    "Python",
    "PostgreSQL",
    "Kubernetes",
    "Docker",
    "Go",
    "Rust",
    "Kafka",
    "Terraform",
    "AWS",
    "Java",
    "SQL",
    "Redis",
    "React",
    "TypeScript",
    "Linux",
    "Spark",
];

fn synthetic(i: usize) -> Vec<u8> {
    let pick = |k: usize| SKILLS[(i * 7 + k * 3) % SKILLS.len()];
    let skills: Vec<&str> = (0..6).map(pick).collect();
    format!(
        "Candidate {i}\ncandidate{i}@example.org | +44 20 7946 {:04}\n\nExperience\n\
         Senior Software Engineer, Company {} Ltd\nJan {} - Present\n- Built services in {} and {}\n\n\
         Software Engineer, Firm {} GmbH\nMar {} - Dec {}\n- Maintained {} systems\n\n\
         Education\nBSc Computer Science, University {}, 2008 - 2012\n\nSkills\n{}\n",
        i % 10_000,
        i % 97,
        2016 + i % 8,
        skills[0],
        skills[1],
        i % 89,
        2012 + i % 4,
        2015 + i % 2,
        skills[2],
        i % 31,
        skills.join(", ")
    )
    .into_bytes()
}

fn inputs(n: usize, synthetic_only: bool) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval/resumes");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir)
        && !synthetic_only
    {
        let mut paths: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x != "json"))
            .collect();
        paths.sort();
        for p in paths.into_iter().take(n) {
            out.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    let mut i = 0;
    while out.len() < n {
        out.push((format!("generated-{i}.txt"), synthetic(i)));
        i += 1;
    }
    out
}

/// Writes `command` to the `perf record --control` FIFO named by `BENCH_PERF_CTL`, if any.
fn perf_control(command: &str) {
    if let Ok(path) = std::env::var("BENCH_PERF_CTL") {
        use std::io::Write;
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("BENCH_PERF_CTL names a FIFO that perf reads");
        writeln!(fifo, "{command}").expect("write to the perf control FIFO");
    }
}

/// CPU seconds used so far: (this process, the whole machine), from /proc (Linux).
fn cpu_seconds() -> (f64, f64) {
    const TICK: f64 = 100.0; // USER_HZ
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            let utime: f64 = rest.get(11)?.parse().ok()?;
            let stime: f64 = rest.get(12)?.parse().ok()?;
            Some((utime + stime) / TICK)
        })
        .unwrap_or(0.0);
    let all = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let cpu: Vec<f64> = s
                .lines()
                .next()?
                .split_whitespace()
                // The first field is the line's label, `cpu`.
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
            let busy: f64 = cpu.iter().take(8).sum::<f64>() - cpu.get(3)? - cpu.get(4)?;
            Some(busy / TICK)
        })
        .unwrap_or(0.0);
    (own, all)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What one run measured.
struct Run {
    wall: f64,
    /// Where the wall time beyond the model's went: seconds from the start to the first
    /// call, seconds from the last call to the end, and the mean number of calls waiting
    /// on the model while any was.
    first_call: f64,
    after_last_call: f64,
    mean_in_flight: f64,
    calls: usize,
    completed: i32,
    /// CPU seconds of this process, and of the whole machine (the database server too).
    cpu_own: f64,
    cpu_all: f64,
}

/// Prints (to stderr) when the jobs that completed after `start` did, in ms from `start`:
/// first, 10th/50th/90th percentile and last. The benchmark's databases belong to the
/// server's superuser, so this reads past row-level security.
async fn print_timeline(
    engine: &resumeflow::Engine,
    start: chrono::DateTime<chrono::Utc>,
    wall: f64,
    latency: Duration,
) {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT completed_at FROM jobs WHERE completed_at IS NOT NULL ORDER BY completed_at";
    let rows = engine
        .connection()
        .query_all_raw(Statement::from_string(
            engine.connection().get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("the jobs' completion times");
    let ms: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<chrono::DateTime<chrono::Utc>>(0).ok())
        .map(|c| (c - start).num_milliseconds())
        .filter(|&ms| ms >= 0)
        .collect();
    if ms.is_empty() {
        return;
    }
    let q = |f: f64| ms[((ms.len() - 1) as f64 * f) as usize];
    eprintln!(
        "timeline latency={latency:?} wall_ms={} completions: first={} p10={} p50={} p90={} last={}",
        (wall * 1000.0) as i64,
        q(0.0),
        q(0.1),
        q(0.5),
        q(0.9),
        q(1.0)
    );
}

/// A job description and a submitted batch of `files` for it, in the session's tenant.
async fn submitted_batch(
    s: &resumeflow::Session,
    files: impl Iterator<Item = (String, Vec<u8>)>,
) -> uuid::Uuid {
    let b = new_batch(
        s,
        Some("# Backend engineer\n## Requirements\n- 5+ years\n- Python, PostgreSQL, Kubernetes\n## Nice to have\n- Go, Kafka\n"),
    )
    .await;
    for (name, bytes) in files {
        s.batches().add_bytes(b, &name, bytes).await.expect("add");
    }
    s.batches().submit(b).await.expect("submit");
    b
}

/// One run on a fresh database, which is returned to be dropped after every run: deleting
/// thousands of store files just before the next run would make that run pay for them (ext4
/// without a journal scans recently deleted inodes on every file it creates).
async fn run(a: &Args, latency: Duration, files: &[(String, Vec<u8>)]) -> (Run, TestDb) {
    let db = TestDb::create(a.backend).await.expect("a database");
    let llm = Arc::new(ScriptedLlm::new(latency));
    let engine = resumeflow::Engine::builder()
        .database_url(&db.url)
        .store_url(match a.store.as_str() {
            "memory" => "memory://".to_owned(),
            _ => format!("file://{}", db.store_dir().display()),
        })
        .keys(Arc::new(resumeflow::LocalKeyProvider::random()))
        .llm(llm.clone())
        .llm_policy(LlmPolicy {
            concurrency: a.concurrency,
            ..Default::default()
        })
        .build()
        .await
        .expect("engine");
    engine.migrate().await.expect("migrate");
    let worker = || {
        engine.worker(WorkerConfig {
            // Enough slots that the model, not the worker, is the limit: with 2·C, jobs
            // busy between their two calls left the model short of work (15.2 of 16 calls
            // in flight on average); with 4·C, 15.6 (see docs/operations.md).
            concurrency: a.concurrency * a.slots,
            poll_interval: Duration::from_millis(10),
            ..Default::default()
        })
    };
    let warmup = a.warmup();
    if warmup > 0 {
        // Another tenant's batch first, so that the timed one meets a worker that has
        // run before (open connections, prepared statements, warm caches) but none of
        // its own tenant's data (employers, parsed content).
        let w = owner_session(&engine, "warmup").await;
        let inputs = (0..warmup).map(|i| (format!("warmup-{i}.txt"), synthetic(1_000_000 + i)));
        let b = submitted_batch(&w, inputs).await;
        worker().run_until_idle().await.expect("warm-up worker");
        let done = w
            .batches()
            .get(b)
            .await
            .expect("warm-up batch")
            .processed_files;
        assert_eq!(done as usize, warmup, "the warm-up batch completed");
    }
    let s = owner_session(&engine, "bench").await;
    let b = submitted_batch(&s, files.iter().cloned()).await;
    let calls_before = llm.calls().len();
    let profiled = latency.is_zero();
    if profiled {
        perf_control("enable");
    }
    let cpu_before = cpu_seconds();
    let t = Instant::now();
    let t_wall = chrono::Utc::now();
    worker().run_until_idle().await.expect("worker");
    let wall = t.elapsed().as_secs_f64();
    let end = Instant::now();
    let cpu_after = cpu_seconds();
    if profiled {
        perf_control("disable");
    }
    // The calls of this run (creating the JD asked the model too).
    let waits: Vec<_> = llm.waits().into_iter().filter(|w| w.0 >= t).collect();
    let first_call = waits
        .iter()
        .map(|w| w.0)
        .min()
        .map_or(0.0, |s| s.saturating_duration_since(t).as_secs_f64());
    let after_last_call = waits
        .iter()
        .map(|w| w.1)
        .max()
        .map_or(0.0, |e| end.saturating_duration_since(e).as_secs_f64());
    // Time-weighted number of calls in flight, over the time any was.
    let mut edges: Vec<(Instant, i32)> = waits.iter().flat_map(|w| [(w.0, 1), (w.1, -1)]).collect();
    edges.sort();
    let (mut level, mut busy, mut weighted) = (0i32, 0.0, 0.0);
    for pair in edges.windows(2) {
        level += pair[0].1;
        let dt = pair[1].0.saturating_duration_since(pair[0].0).as_secs_f64();
        if level > 0 {
            busy += dt;
            weighted += dt * level as f64;
        }
    }
    let mean_in_flight = if busy > 0.0 { weighted / busy } else { 0.0 };
    if std::env::var("BENCH_TIMELINE").is_ok() {
        print_timeline(&engine, t_wall, wall, latency).await;
    }
    let batch = s.batches().get(b).await.expect("batch");
    let calls = llm.calls().len() - calls_before;
    engine.close().await.expect("close");
    let run = Run {
        wall,
        first_call,
        after_last_call,
        mean_in_flight,
        calls,
        completed: batch.processed_files,
        cpu_own: cpu_after.0 - cpu_before.0,
        cpu_all: cpu_after.1 - cpu_before.1,
    };
    (run, db)
}

#[tokio::main]
async fn main() {
    let a = args();
    let files = inputs(a.n, a.synthetic_only);
    let (with_model, db1) = run(&a, a.latency, &files).await;
    let (wall, calls, done) = (with_model.wall, with_model.calls, with_model.completed);
    let ideal = calls as f64 * a.latency.as_secs_f64() / a.concurrency as f64;
    let (without, db2) = run(&a, Duration::ZERO, &files).await;
    for db in [db1, db2] {
        if a.keep_store && db.store_dir().exists() {
            let aside =
                std::env::temp_dir().join(format!("rf_kept_{}", uuid::Uuid::now_v7().simple()));
            std::fs::rename(db.store_dir(), aside).expect("move the store aside");
        }
        db.cleanup().await;
    }
    let (wall0, done0) = (without.wall, without.completed);
    let per_resume_ms = |secs: f64| (secs / a.n as f64 * 1000.0 * 100.0).round() / 100.0;
    println!(
        "{}",
        serde_json::json!({
            "bench": "pipeline",
            "backend": match a.backend { Backend::Postgres => "postgres", Backend::Sqlite => "sqlite" },
            "n": a.n,
            "latency_ms": a.latency.as_millis() as u64,
            "concurrency": a.concurrency,
            "store": a.store,
            "inputs": if a.synthetic_only { "generated text" } else { "eval corpus + generated text" },
            "warmup": a.warmup(),
            "completed": done,
            "llm_calls": calls,
            "wall_s": (wall * 1000.0).round() / 1000.0,
            "ideal_s": (ideal * 1000.0).round() / 1000.0,
            "wall_over_ideal": ((wall / ideal) * 1000.0).round() / 1000.0,
            "resumes_per_s": (a.n as f64 / wall * 10.0).round() / 10.0,
            // Where the time beyond the ideal went, in the run with the model's latency.
            "first_call_s": (with_model.first_call * 1000.0).round() / 1000.0,
            "after_last_call_s": (with_model.after_last_call * 1000.0).round() / 1000.0,
            "mean_calls_in_flight": (with_model.mean_in_flight * 100.0).round() / 100.0,
            "outside_llm_ms_per_resume": per_resume_ms(wall0),
            "outside_llm_completed": done0,
            // CPU spent per resume in that run: by this process, and by the whole machine
            // (the database server and anything else running).
            "outside_llm_cpu_ms_per_resume": per_resume_ms(without.cpu_own),
            "outside_llm_machine_cpu_ms_per_resume": per_resume_ms(without.cpu_all),
            "peak_rss_mib": peak_rss_mib().map(|m| (m * 10.0).round() / 10.0),
        })
    );
}
