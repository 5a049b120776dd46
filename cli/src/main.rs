//! `resumeflow`: the command line. Uses the library's facade only.

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

#[derive(Subcommand)]
enum Command {
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

fn default_database_url() -> String {
    format!("sqlite://{HOME}/resumeflow.db?mode=rwc")
}

fn key_file() -> PathBuf {
    std::env::var_os("RESUMEFLOW_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(HOME).join("master.key"))
}

async fn engine(url: &str) -> anyhow::Result<Engine> {
    if url.starts_with("sqlite://") {
        std::fs::create_dir_all(HOME)?;
    }
    let keys = LocalKeyProvider::from_file(&key_file())?;
    Ok(Engine::builder()
        .database_url(url)
        .keys(Arc::new(keys))
        .build()
        .await?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
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
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RESUMEFLOW_LOG"))
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
