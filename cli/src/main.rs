//! `resumeflow`: the command line. Uses the library's facade only.

mod screen;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use resumeflow::migrations::{Migrator, sea_orm_migration::MigratorTrait};
use resumeflow::{Engine, LocalKeyProvider};

/// The default home of embedded use: SQLite database, key file and local store.
const HOME: &str = ".resumeflow";

#[derive(Parser)]
#[command(
    name = "resumeflow",
    version,
    about = "Screen resumes against job descriptions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where data lives: the database and the object store.
#[derive(clap::Args, Clone, Debug)]
struct StoreArgs {
    /// postgres://… or sqlite://…; default: SQLite in ./.resumeflow/
    #[arg(long, env = "RESUMEFLOW_DATABASE_URL")]
    database_url: Option<String>,
    /// file:///dir, s3://bucket/prefix or memory://; default: ./.resumeflow/store.
    /// S3 settings come from RESUMEFLOW_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "RESUMEFLOW_STORE")]
    store: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Screen resume files or folders against a job description and rank them (the main
    /// job): prints a ranked table and writes results.json and results.csv.
    Screen {
        /// The job description (Markdown or plain text).
        #[arg(long)]
        jd: PathBuf,
        /// Explicit criteria as JSON (must_have, nice_to_have, min_years, keywords, …),
        /// laid over what is read from the job description.
        #[arg(long)]
        criteria: Option<PathBuf>,
        /// Where results.json and results.csv go.
        #[arg(long, default_value = "resumeflow-results")]
        out: PathBuf,
        /// Files and folders (searched recursively; hidden entries skipped).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        llm: LlmArgs,
        /// Jobs run at once [default: 4 per model call allowed at once (32) with an LLM,
        /// 2 per core without].
        #[arg(long)]
        concurrency: Option<usize>,
        /// The tenant the local operator works in (created on first use).
        #[arg(long, default_value = "local")]
        tenant: String,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run a long-lived pipeline worker until Ctrl-C or SIGTERM (any number of them, on
    /// any number of machines, against one PostgreSQL and one shared store).
    Worker {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        llm: LlmArgs,
        /// Jobs run at once [default: 4 per model call allowed at once (32) with an LLM,
        /// 2 per core without].
        #[arg(long)]
        concurrency: Option<usize>,
        /// Seconds a claimed job is held without a heartbeat.
        #[arg(long, default_value_t = 60)]
        lease_secs: u64,
    },
    /// Batches: progress and files.
    Batch {
        #[command(subcommand)]
        what: BatchCmd,
    },
    /// Run a pipeline job again from a step (extract, parse, validate or score): later
    /// checkpoints are dropped and the job is queued; a worker picks it up.
    Replay {
        job: uuid::Uuid,
        #[arg(long = "from", value_name = "STEP")]
        from_step: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Parse resume files into JSON Resume documents (<name>.json in --out); no database.
    Parse {
        /// PDF, DOCX, DOC, RTF, HTML or text files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// Benchmarks (print one JSON line).
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
    /// Create or upgrade the schema (PostgreSQL or SQLite).
    Migrate {
        /// postgres://… or sqlite://…; default: SQLite in ./.resumeflow/
        #[arg(long, env = "RESUMEFLOW_DATABASE_URL")]
        database_url: Option<String>,
        /// Print applied and pending migrations instead of applying them.
        #[arg(long)]
        status: bool,
        /// Roll back this many migrations instead of applying.
        #[arg(long, value_name = "N")]
        down: Option<u32>,
        /// PostgreSQL: months of partitions to create ahead (also run by workers).
        #[arg(long, default_value_t = 3)]
        partitions_ahead: u32,
    },
}

#[derive(Subcommand)]
enum BatchCmd {
    /// A batch's counters, files and jobs, as JSON.
    Status {
        batch: uuid::Uuid,
        #[command(flatten)]
        store: StoreArgs,
        /// The tenant the batch belongs to.
        #[arg(long, default_value = "local")]
        tenant: String,
    },
}

/// An OpenAI-compatible endpoint; without `--llm-url` the heuristic parser runs.
#[derive(clap::Args, Clone, Debug)]
struct LlmArgs {
    /// Base URL up to /v1, e.g. http://127.0.0.1:8000/v1
    #[arg(long, requires = "llm_model")]
    llm_url: Option<String>,
    #[arg(long)]
    llm_model: Option<String>,
    #[arg(long, env = "RESUMEFLOW_LLM_API_KEY", hide_env_values = true)]
    llm_api_key: Option<String>,
}

impl LlmArgs {
    fn client(&self) -> Option<resumeflow::llm::OpenAiClient> {
        let url = self.llm_url.as_ref()?;
        let model = self.llm_model.clone().unwrap_or_default();
        Some(resumeflow::llm::OpenAiClient::new(
            url,
            model,
            self.llm_api_key.clone(),
        ))
    }
}

async fn parse_files(
    files: &[PathBuf],
    out: &std::path::Path,
    llm: &LlmArgs,
) -> anyhow::Result<()> {
    use resumeflow::candidate::{current_month, parse_document};
    std::fs::create_dir_all(out)?;
    let client = llm.client();
    let mut failed = 0;
    for path in files {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "resume".into());
        let result = async {
            let bytes = tokio::fs::read(path).await?;
            let llm: Option<&dyn resumeflow::LlmClient> =
                client.as_ref().map(|c| c as &dyn resumeflow::LlmClient);
            let parsed = parse_document(bytes, llm, Default::default(), current_month()).await?;
            let target = out.join(format!("{stem}.json"));
            std::fs::write(
                &target,
                serde_json::to_string_pretty(&parsed.resume.to_json_resume())?,
            )?;
            anyhow::Ok((target, parsed))
        }
        .await;
        match result {
            Ok((target, p)) => {
                let flags = if p.flags.is_empty() {
                    String::new()
                } else {
                    format!(", flags: {}", p.flags.join("; "))
                };
                eprintln!(
                    "ok   {} -> {} ({}, {} jobs, {} months of experience{flags})",
                    path.display(),
                    target.display(),
                    p.parser,
                    p.resume.work.len(),
                    p.experience_months
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("FAIL {}: {e:#}", path.display());
            }
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} file(s) could not be parsed",
        files.len()
    );
    Ok(())
}

#[derive(Subcommand)]
enum Bench {
    /// Enqueue N no-op jobs in bulk, drain them with C workers in P processes.
    Queue {
        #[arg(long, env = "RESUMEFLOW_DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        jobs: u32,
        /// Concurrent job slots in all, split evenly across the processes.
        #[arg(long, default_value_t = 32)]
        concurrency: u32,
        #[arg(long, default_value_t = 1)]
        processes: u32,
    },
    /// One draining process of `bench queue` (started by it).
    #[command(hide = true)]
    QueueDrain {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        concurrency: u32,
    },
}

/// The no-op job of the queue benchmark.
struct Noop;

#[async_trait::async_trait]
impl resumeflow::queue::JobHandler for Noop {
    async fn handle(
        &self,
        _: &resumeflow::queue::JobContext,
    ) -> Result<(), resumeflow::queue::JobError> {
        Ok(())
    }
}

async fn bench_engine(url: &str) -> anyhow::Result<Engine> {
    // No personal data in the benchmark: a throwaway key.
    Ok(Engine::builder()
        .database_url(url)
        .keys(Arc::new(LocalKeyProvider::random()))
        .build()
        .await?)
}

async fn bench_queue(url: &str, jobs: u32, concurrency: u32, processes: u32) -> anyhow::Result<()> {
    anyhow::ensure!(
        processes >= 1 && concurrency >= processes,
        "need concurrency >= processes >= 1"
    );
    let engine = bench_engine(url).await?;
    engine.migrate().await?;
    let open = engine.queue().counts().await?;
    let busy =
        open.get("queued").copied().unwrap_or(0) + open.get("in_progress").copied().unwrap_or(0);
    anyhow::ensure!(
        busy == 0,
        "the database has {busy} open jobs; benchmark on a scratch database"
    );
    let slug = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let tenant = engine
        .tenants()
        .create(resumeflow::NewTenant {
            name: "queue benchmark".into(),
            slug,
            ..Default::default()
        })
        .await?;
    let batch: Vec<resumeflow::queue::NewJob> = (0..jobs)
        .map(|_| resumeflow::queue::NewJob::new(tenant.tenant_id, "noop"))
        .collect();
    let t0 = std::time::Instant::now();
    for chunk in batch.chunks(5000) {
        engine.queue().enqueue(chunk).await?;
    }
    let enqueue_s = t0.elapsed().as_secs_f64();
    let exe = std::env::current_exe()?;
    let t1 = std::time::Instant::now();
    let mut children = Vec::new();
    for i in 0..processes {
        let share = concurrency / processes + u32::from(i < concurrency % processes);
        children.push(
            tokio::process::Command::new(&exe)
                .args([
                    "bench",
                    "queue-drain",
                    "--database-url",
                    url,
                    "--concurrency",
                    &share.to_string(),
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()?,
        );
    }
    let mut completed = 0u64;
    for c in children {
        let out = c.wait_with_output().await?;
        anyhow::ensure!(
            out.status.success(),
            "a draining process failed: {}",
            out.status
        );
        completed += String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u64>()
            .unwrap_or(0);
    }
    let drain_s = t1.elapsed().as_secs_f64();
    anyhow::ensure!(
        completed == u64::from(jobs),
        "completed {completed} of {jobs} jobs"
    );
    let backend = match engine.backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other",
    };
    println!(
        "{}",
        serde_json::json!({
            "bench": "queue",
            "backend": backend,
            "n": jobs,
            "concurrency": concurrency,
            "processes": processes,
            "enqueue_s": (enqueue_s * 1000.0).round() / 1000.0,
            "drain_s": (drain_s * 1000.0).round() / 1000.0,
            "jobs_per_s": (f64::from(jobs) / drain_s).round(),
            "enqueue_per_s": (f64::from(jobs) / enqueue_s).round(),
        })
    );
    Ok(())
}

async fn bench_drain(url: &str, concurrency: u32) -> anyhow::Result<()> {
    let engine = bench_engine(url).await?;
    let cfg = resumeflow::queue::WorkerConfig {
        concurrency: concurrency as usize,
        poll_interval: std::time::Duration::from_millis(5),
        ..Default::default()
    };
    let stats = engine
        .worker_with(cfg, Arc::new(Noop))
        .run_until_idle()
        .await?;
    println!("{}", stats.completed);
    Ok(())
}

fn default_database_url() -> String {
    format!("sqlite://{HOME}/resumeflow.db?mode=rwc")
}

fn key_file() -> PathBuf {
    std::env::var_os("RESUMEFLOW_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(HOME).join("master.key"))
}

async fn engine(url: &str) -> anyhow::Result<Engine> {
    open_engine(Some(url), None, None).await
}

/// An engine on the database and store given (defaults: ./.resumeflow/), with the key
/// file's key and the model, if any.
async fn open_engine(
    url: Option<&str>,
    store: Option<&str>,
    llm: Option<Arc<dyn resumeflow::LlmClient>>,
) -> anyhow::Result<Engine> {
    let default_url = default_database_url();
    let url = url.unwrap_or(&default_url);
    if url.starts_with("sqlite://") {
        std::fs::create_dir_all(HOME)?;
    }
    let keys = LocalKeyProvider::from_file(&key_file())?;
    let mut b = Engine::builder().database_url(url).keys(Arc::new(keys));
    let store = match store {
        Some(s) => s.to_owned(),
        None => {
            let dir = PathBuf::from(HOME).join("store");
            std::fs::create_dir_all(&dir)?;
            format!("file://{}", std::fs::canonicalize(&dir)?.display())
        }
    };
    if store.starts_with("s3://") {
        let endpoint = std::env::var("RESUMEFLOW_S3_ENDPOINT").ok();
        b = b.store_options(resumeflow::StoreOptions {
            allow_http: endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
            endpoint,
            region: std::env::var("AWS_REGION").ok(),
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").ok(),
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
        });
    }
    b = b.store_url(store);
    if let Some(client) = llm {
        b = b.llm(client);
    }
    Ok(b.build().await?)
}

impl LlmArgs {
    fn shared(&self) -> Option<Arc<dyn resumeflow::LlmClient>> {
        self.client()
            .map(|c| Arc::new(c) as Arc<dyn resumeflow::LlmClient>)
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Parse { files, out, llm } => parse_files(&files, &out, &llm).await?,
        Command::Screen {
            jd,
            criteria,
            out,
            paths,
            store,
            llm,
            concurrency,
            tenant,
            quiet,
        } => {
            let engine = open_engine(
                store.database_url.as_deref(),
                store.store.as_deref(),
                llm.shared(),
            )
            .await?;
            let concurrency = concurrency.unwrap_or_else(|| engine.default_jobs());
            engine.migrate().await?;
            let (batch, rows) = screen::screen(
                &engine,
                screen::ScreenRequest {
                    jd,
                    criteria,
                    paths,
                    out: out.clone(),
                    tenant,
                    concurrency,
                    progress: !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                },
            )
            .await?;
            print!("{}", screen::table(&rows));
            let failed = rows.iter().filter(|r| r.status == "failed").count();
            eprintln!(
                "batch {batch}: {} file(s) screened, {failed} failed; wrote {} and {}",
                rows.len(),
                out.join("results.json").display(),
                out.join("results.csv").display()
            );
        }
        Command::Worker {
            store,
            llm,
            concurrency,
            lease_secs,
        } => {
            let engine = open_engine(
                store.database_url.as_deref(),
                store.store.as_deref(),
                llm.shared(),
            )
            .await?;
            let concurrency = concurrency.unwrap_or_else(|| engine.default_jobs());
            engine.migrate().await?;
            engine.partition_upkeep(3, None).await?;
            let lease = std::time::Duration::from_secs(lease_secs.max(3));
            let cfg = resumeflow::WorkerConfig {
                concurrency: concurrency.max(1),
                lease,
                heartbeat: lease / 3,
                ..Default::default()
            };
            eprintln!(
                "worker on {} with {concurrency} slot(s); Ctrl-C or SIGTERM stops it gracefully",
                resumeflow::db::redact_url(
                    store
                        .database_url
                        .as_deref()
                        .unwrap_or(&default_database_url())
                )
            );
            let stats = engine.worker(cfg).run(stop_signal()).await?;
            println!(
                "{}",
                serde_json::json!({
                    "claimed": stats.claimed, "completed": stats.completed,
                    "retried": stats.retried, "failed": stats.failed, "lost": stats.lost,
                    "released": stats.released, "rescued": stats.rescued,
                })
            );
        }
        Command::Batch {
            what:
                BatchCmd::Status {
                    batch,
                    store,
                    tenant,
                },
        } => {
            let engine =
                open_engine(store.database_url.as_deref(), store.store.as_deref(), None).await?;
            let s = screen::local_session(&engine, &tenant).await?;
            let progress = s.batches().status(batch).await?;
            let files = s.batches().files(batch).await?;
            let jobs = s.jobs(batch).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "progress": progress,
                    "files": files.iter().map(|f| serde_json::json!({
                        "file_id": f.file_id, "name": f.original_name, "status": f.status,
                        "error_code": f.error_code, "error": f.error,
                    })).collect::<Vec<_>>(),
                    "jobs": jobs,
                }))?
            );
        }
        Command::Replay {
            job,
            from_step,
            store,
        } => {
            let engine =
                open_engine(store.database_url.as_deref(), store.store.as_deref(), None).await?;
            let r = engine.replay(job, &from_step).await?;
            println!("{}", serde_json::to_string(&r)?);
            eprintln!("queued; a worker (resumeflow worker, or the next screen run) runs it");
        }
        Command::Bench {
            what:
                Bench::Queue {
                    database_url,
                    jobs,
                    concurrency,
                    processes,
                },
        } => {
            bench_queue(&database_url, jobs, concurrency, processes).await?;
        }
        Command::Bench {
            what:
                Bench::QueueDrain {
                    database_url,
                    concurrency,
                },
        } => {
            bench_drain(&database_url, concurrency).await?;
        }
        Command::Migrate {
            database_url,
            status,
            down,
            partitions_ahead,
        } => {
            let url = database_url.unwrap_or_else(default_database_url);
            let engine = engine(&url).await?;
            let shown = resumeflow::db::redact_url(&url);
            if status {
                for m in Migrator::get_migration_with_status(engine.connection()).await? {
                    println!("{:<40} {:?}", m.name(), m.status());
                }
            } else if let Some(n) = down {
                Migrator::down(engine.connection(), Some(n)).await?;
                println!("rolled back {n} migration(s) on {shown}");
            } else {
                engine.migrate().await?;
                let (created, _) = engine.partition_upkeep(partitions_ahead, None).await?;
                let applied = Migrator::get_applied_migrations(engine.connection())
                    .await?
                    .len();
                println!(
                    "{shown}: {applied} migrations applied, schema up to date{}",
                    if created.is_empty() {
                        String::new()
                    } else {
                        format!(", {} partitions ensured", created.len())
                    }
                );
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            // Parser libraries log damage they recover from; resumeflow reports it per file.
            tracing_subscriber::EnvFilter::try_from_env("RESUMEFLOW_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,pdf_oxide=off,office_oxide=off")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
