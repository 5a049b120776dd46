//! `resumeflow screen`: ingest files, run the pipeline with an embedded worker, show
//! progress, print a ranked table, and write results.json and results.csv.
//!
//! Rerunning the same command reuses everything: the job description (same title, text
//! and criteria), the batch (same job description version, model and input files by
//! path, size and modification time), parsed resumes, scores and cached LLM answers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use resumeflow::{
    BatchFile, BatchStatus, Engine, FileStatus, NewBatch, NewJobDescription, RankedResult, Session,
    WorkerConfig,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What `screen` needs besides the engine.
pub struct ScreenRequest {
    pub jd: PathBuf,
    pub criteria: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub tenant: String,
    pub concurrency: usize,
    pub progress: bool,
}

/// One input file in results.json.
#[derive(Serialize)]
pub struct FileResult {
    pub path: String,
    pub status: String,
    pub rank: Option<i32>,
    pub candidate: Option<String>,
    pub final_score: Option<f64>,
    pub local_score: Option<f64>,
    pub ai_score: Option<f64>,
    pub needs_review: bool,
    pub knocked_out: bool,
    pub flags: Vec<String>,
    pub matched: Vec<String>,
    pub missing: Vec<String>,
    pub reasons: Vec<String>,
    pub error_code: Option<String>,
    pub error: Option<String>,
}

/// The session of the CLI's local operator: the owner of tenant `slug`, both created on
/// first use.
pub async fn local_session(engine: &Engine, slug: &str) -> anyhow::Result<Session> {
    let admin = engine.tenants();
    let tenant = match admin.find_by_slug(slug).await? {
        Some(t) => t,
        None => {
            admin
                .create(resumeflow::NewTenant {
                    name: slug.to_owned(),
                    slug: slug.to_owned(),
                    ..Default::default()
                })
                .await?
        }
    };
    let email = format!("owner@{slug}.localhost");
    let user = match admin.find_user(tenant.tenant_id, &email).await? {
        Some(u) => u,
        None => admin.add_owner(tenant.tenant_id, &email, None).await?,
    };
    Ok(engine.session(tenant.tenant_id, user.user_id).await?)
}

/// The title of a posting: its first Markdown heading, else the file name.
fn title_of(text: &str, path: &Path) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "job".into(), |s| s.to_string_lossy().into_owned())
        })
}

/// The same job description as last time, or a new one.
async fn job_description(
    s: &Session,
    text: String,
    parameters: serde_json::Value,
    title: String,
) -> anyhow::Result<resumeflow::JobDescription> {
    let explicit = if parameters.is_null() {
        serde_json::json!({})
    } else {
        parameters.clone()
    };
    for jd in s.job_descriptions().list().await? {
        if jd.title == title
            && jd.parameters.get("explicit") == Some(&explicit)
            && s.job_descriptions().text(jd.jd_id).await?.as_deref() == Some(text.as_str())
        {
            return Ok(jd);
        }
    }
    Ok(s.job_descriptions()
        .create(NewJobDescription {
            title,
            text: Some(text),
            parameters,
        })
        .await?)
}

/// Regular, non-hidden files under each path, sorted per path.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.path());
        for e in entries {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            let meta = std::fs::metadata(&p)?;
            if meta.is_dir() {
                walk(&p, out)?;
            } else if meta.is_file() {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Identifies "the same command": job description version, model, and inputs.
fn fingerprint(jd: &resumeflow::JobDescription, model: &str, files: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    h.update(format!("{}:{}:{model}\n", jd.jd_id, jd.version));
    for f in files {
        let meta = std::fs::metadata(f).ok();
        let mtime = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        h.update(format!(
            "{}\t{}\t{mtime}\n",
            abs.display(),
            meta.map_or(0, |m| m.len())
        ));
    }
    hex::encode(&h.finalize()[..8])
}

pub async fn screen(
    engine: &Engine,
    req: ScreenRequest,
) -> anyhow::Result<(Uuid, Vec<FileResult>)> {
    let s = local_session(engine, &req.tenant).await?;
    let text = std::fs::read_to_string(&req.jd)
        .with_context(|| format!("cannot read the job description {}", req.jd.display()))?;
    let parameters = match &req.criteria {
        Some(p) => serde_json::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("{} is not JSON", p.display()))?,
        None => serde_json::Value::Null,
    };
    let title = title_of(&text, &req.jd);
    let jd = job_description(&s, text, parameters, title).await?;
    let files = expand(&req.paths)?;
    anyhow::ensure!(!files.is_empty(), "no files to screen");
    let model = engine
        .llm()
        .map_or_else(|| "no-llm".to_owned(), |c| c.model());
    let name = format!("screen-{}", fingerprint(&jd, &model, &files));
    let batch =
        match s.batches().list().await?.into_iter().find(|b| {
            b.name.as_deref() == Some(name.as_str()) && b.status != BatchStatus::Cancelled
        }) {
            Some(b) => {
                eprintln!("resuming batch {} ({:?})", b.batch_id, b.status);
                b
            }
            None => {
                s.batches()
                    .create(NewBatch {
                        jd_id: jd.jd_id,
                        name: Some(name),
                        weightage_profile_id: None,
                    })
                    .await?
            }
        };
    let b = batch.batch_id;
    // Which stored file each input path became.
    let mut path_of: HashMap<Uuid, String> = HashMap::new();
    if batch.status == BatchStatus::Created {
        let bar = bar(req.progress, files.len() as u64, "adding");
        for f in &files {
            match s.batches().add_path(b, f).await {
                Ok(added) => {
                    path_of.insert(added.file.file_id, f.display().to_string());
                }
                Err(e) => bar.println(format!("skipped {}: {e}", f.display())),
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        s.batches().submit(b).await?;
    } else {
        // A rerun: the files are in the batch already; match them to paths by name, in order.
        let stored = s.batches().files(b).await?;
        let mut used = std::collections::HashSet::new();
        for f in &files {
            let fname = f.file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(file) = stored
                .iter()
                .find(|x| Some(&x.original_name) == fname.as_ref() && !used.contains(&x.file_id))
            {
                used.insert(file.file_id);
                path_of.insert(file.file_id, f.display().to_string());
            }
        }
    }
    run_until_done(engine, &s, b, req.concurrency, req.progress).await?;
    let results = s.scoring().results(b).await?;
    let stored = s.batches().files(b).await?;
    let rows = rows(&stored, &results, &path_of);
    std::fs::create_dir_all(&req.out)
        .with_context(|| format!("cannot create {}", req.out.display()))?;
    write_json(&req.out.join("results.json"), &rows)?;
    write_csv(&req.out.join("results.csv"), &rows)?;
    Ok((b, rows))
}

fn bar(show: bool, len: u64, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {pos}/{len} {elapsed_precise} ({eta} left)",
        )
        .expect("template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Runs an embedded pipeline worker until the batch is completed (or failed or
/// cancelled), with a progress bar. Ctrl-C stops gracefully: running jobs finish or are
/// released, and rerunning the command continues.
pub async fn run_until_done(
    engine: &Engine,
    s: &Session,
    batch: Uuid,
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<()> {
    let status = s.batches().status(batch).await?;
    if status.status.is_terminal() && !has_open_jobs(s, batch).await? {
        return Ok(());
    }
    let cfg = WorkerConfig {
        concurrency: concurrency.max(1),
        poll_interval: Duration::from_millis(50),
        rescue_interval: Duration::from_secs(5),
        ..Default::default()
    };
    let pb = bar(progress, status.total_files as u64, "screening");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = engine.worker(cfg);
    let run = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stop_rx.await;
            })
            .await
    });
    let mut interrupted = false;
    loop {
        let st = s.batches().status(batch).await?;
        pb.set_position((st.processed_files + st.failed_files) as u64);
        if st.failed_files > 0 {
            pb.set_message(format!("{} failed", st.failed_files));
        }
        if st.status.is_terminal() && !has_open_jobs(s, batch).await? {
            break;
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => { interrupted = true; break; }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if run.is_finished() {
            break;
        }
    }
    let _ = stop_tx.send(());
    let stats = run.await.context("the worker task panicked")??;
    pb.finish_and_clear();
    tracing::info!(?stats, "worker stopped");
    anyhow::ensure!(
        !interrupted,
        "interrupted; rerun the same command to continue where it stopped"
    );
    let st = s.batches().status(batch).await?;
    anyhow::ensure!(
        st.status.is_terminal(),
        "the worker stopped before the batch finished ({st:?})"
    );
    Ok(())
}

/// Whether a job of the batch is queued or running (a replay of a finished batch).
async fn has_open_jobs(s: &Session, batch: Uuid) -> anyhow::Result<bool> {
    Ok(s.jobs(batch)
        .await?
        .iter()
        .any(|j| j.status == "queued" || j.status == "in_progress"))
}

fn rows(
    files: &[BatchFile],
    results: &[RankedResult],
    path_of: &HashMap<Uuid, String>,
) -> Vec<FileResult> {
    let result_of: HashMap<Uuid, &RankedResult> = results
        .iter()
        .flat_map(|r| r.file_ids.iter().map(move |f| (*f, r)))
        .collect();
    let mut rows: Vec<FileResult> = files
        .iter()
        .map(|f| {
            let r = result_of.get(&f.file_id).copied();
            FileResult {
                path: path_of
                    .get(&f.file_id)
                    .cloned()
                    .unwrap_or_else(|| f.original_name.clone()),
                status: f.status.as_str().to_owned(),
                rank: r.and_then(|r| r.rank),
                candidate: r.and_then(|r| r.candidate_name.clone()),
                final_score: r.map(|r| round1(r.final_score)),
                local_score: r.map(|r| round1(r.local_score)),
                ai_score: r.and_then(|r| r.ai_score).map(round1),
                needs_review: r.is_some_and(|r| r.needs_review),
                knocked_out: r.is_some_and(|r| r.knocked_out),
                flags: r.map(|r| r.flags.clone()).unwrap_or_default(),
                matched: r.map(|r| r.matched.clone()).unwrap_or_default(),
                missing: r.map(|r| r.missing.clone()).unwrap_or_default(),
                reasons: r.map(|r| r.reasons.clone()).unwrap_or_default(),
                error_code: f.error_code.clone(),
                error: f.error.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.path.cmp(&b.path),
    });
    rows
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn write_json(path: &Path, rows: &[FileResult]) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(rows)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_csv(path: &Path, rows: &[FileResult]) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "rank",
        "path",
        "candidate",
        "final_score",
        "local_score",
        "ai_score",
        "needs_review",
        "knocked_out",
        "matched",
        "missing",
        "flags",
        "status",
        "error_code",
        "error",
    ])?;
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            r.path.clone(),
            r.candidate.clone().unwrap_or_default(),
            opt(r.final_score),
            opt(r.local_score),
            opt(r.ai_score),
            r.needs_review.to_string(),
            r.knocked_out.to_string(),
            r.matched.join("; "),
            r.missing.join("; "),
            r.flags.join("; "),
            r.status.clone(),
            r.error_code.clone().unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The ranked table, as printed.
pub fn table(rows: &[FileResult]) -> String {
    let mut out = format!(
        "{:>4}  {:<34} {:>6} {:>6} {:>6}  {:<6}  {:<30} {}\n",
        "rank", "candidate", "final", "local", "ai", "review", "matched (top 3)", "missing (top 3)"
    );
    let num = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    for r in rows {
        let file = Path::new(&r.path)
            .file_name()
            .map_or_else(|| r.path.clone(), |n| n.to_string_lossy().into_owned());
        let who = match &r.candidate {
            Some(c) => format!("{c} ({file})"),
            None => file,
        };
        if r.status == FileStatus::Failed.as_str() {
            out.push_str(&format!(
                "{:>4}  {:<34} failed: {}\n",
                "-",
                cut(&who, 34),
                cut(r.error.as_deref().unwrap_or("unknown error"), 80)
            ));
            continue;
        }
        out.push_str(&format!(
            "{:>4}  {:<34} {:>6} {:>6} {:>6}  {:<6}  {:<30} {}\n",
            r.rank.map_or_else(|| "-".into(), |x| x.to_string()),
            cut(&who, 34),
            num(r.final_score),
            num(r.local_score),
            num(r.ai_score),
            if r.needs_review { "yes" } else { "" },
            cut(
                &r.matched
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                30
            ),
            cut(
                &r.missing
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                40
            ),
        ));
    }
    out
}
