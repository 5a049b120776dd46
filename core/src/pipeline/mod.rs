//! The pipeline: extract → parse → validate → score, one `process_file` job per file,
//! with a checkpoint after every step.
//!
//! After a step succeeds its output is sealed into the store at
//! `t/{tenant}/jobs/{job}/{step}.json` and a `checkpoints` row is written in the same
//! transaction that extends the job's lease, fenced by its lock token
//! ([`JobContext::checkpoint`]). A job that runs again (after a crash, a lost lease, a
//! retry or a replay) loads the outputs of the steps it has and starts at the first step
//! without a checkpoint. Content the tenant already parsed (same storage object, so same
//! sha256) is not extracted or parsed again; LLM answers are cached by request hash, and a
//! valid AI score is reused, so a replay of `score` calls no model.
//!
//! When the last step is done, or a file fails for good, one transaction moves the file to
//! `completed` or `failed` (guarded, so it counts once however often it runs), bumps the
//! batch's counter, completes the batch when every file is done or failed, and then ranks
//! its results. See docs/pipeline.md.
#![doc = include_str!("../../../docs/pipeline.md")]

pub mod entity;

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::candidate::model::{ParsedResume, YearMonth};
use crate::candidate::validate::{DocumentParse, current_month, validate};
use crate::db::{Scope, now};
use crate::engine::{Engine, Session};
use crate::error::{Error, Result};
use crate::extract::{ExtractLimits, ExtractedText};
use crate::ingest::entity::{batches, files};
use crate::ingest::{BatchStatus, FileStatus, PROCESS_FILE};
use crate::llm::{CachedLlm, LlmRequest, LlmResponse};
use crate::queue::entity::jobs;
use crate::queue::{ClaimedFile, JobContext, JobError, JobHandler, Worker, WorkerConfig};
use crate::scoring::ScoreOutcome;
use crate::tenancy::Permission;
use entity::checkpoints;

/// The steps, in order.
pub const STEPS: [&str; 4] = ["extract", "parse", "validate", "score"];

/// What a step sees: the job's file and batch, the engine, and the outputs of the steps
/// before it.
pub struct StepContext<'a> {
    pub engine: &'a Engine,
    pub tenant: Uuid,
    pub batch_id: Uuid,
    pub file_id: Uuid,
    pub job_id: Uuid,
    /// The month experience is counted up to.
    pub as_of: YearMonth,
    pub state: &'a State,
    /// The file as the claim read it, when the claim moved it to `processing`.
    pub claimed_file: Option<&'a ClaimedFile>,
}

/// The outputs of the steps done so far.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub extract: Option<Extracted>,
    pub parse: Option<Parsed>,
    pub validate: Option<Validated>,
    pub score: Option<ScoreOutcome>,
    /// The `validate` step ran in this run of the job (not loaded from its checkpoint).
    #[serde(skip)]
    pub validated_here: bool,
}

impl State {
    fn set(&mut self, step: &str, value: serde_json::Value) -> Result<()> {
        let bad = |e: serde_json::Error| Error::Storage(format!("checkpoint of {step}: {e}"));
        match step {
            "extract" => self.extract = Some(serde_json::from_value(value).map_err(bad)?),
            "parse" => self.parse = Some(serde_json::from_value(value).map_err(bad)?),
            "validate" => self.validate = Some(serde_json::from_value(value).map_err(bad)?),
            "score" => self.score = Some(serde_json::from_value(value).map_err(bad)?),
            other => return Err(Error::invalid(format!("unknown step {other:?}"))),
        }
        Ok(())
    }

    fn extracted(&self) -> Result<&Extracted> {
        self.extract
            .as_ref()
            .ok_or_else(|| Error::Config("the extract step has not run".into()))
    }
}

/// The extract step's output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extracted {
    pub storage_object_id: Uuid,
    /// The tenant's resume of this content, when it was parsed before.
    pub reused_resume: Option<Uuid>,
    pub text: Option<ExtractedText>,
}

/// The parse step's output (empty when the content was parsed before).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Parsed {
    /// JSON Resume.
    pub resume: Option<serde_json::Value>,
    pub parser: String,
    pub flags: Vec<String>,
    pub llm_requests: Vec<LlmRequest>,
    pub llm_responses: Vec<LlmResponse>,
}

/// The validate step's output: the stored resume.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Validated {
    pub resume_id: Uuid,
    pub reused: bool,
    pub warnings: Vec<String>,
    /// This step created the resume (false when it was reused, or when a concurrent
    /// parse of the same content created it first).
    #[serde(default)]
    pub created: bool,
    /// The JSON Resume stored for a resume this step created, so that `score` need not
    /// read it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<serde_json::Value>,
}

/// One step of the pipeline.
#[async_trait]
pub trait Step: Send + Sync {
    fn name(&self) -> &'static str;
    /// Runs the step and returns its output (JSON, stored as its checkpoint).
    async fn run(&self, cx: &StepContext<'_>) -> Result<serde_json::Value>;
    /// Like [`Step::run`], but leaves the step's database writes to the transaction that
    /// records its checkpoint (for the last step, the one that also finishes the file), so
    /// that they commit together. `None`, the default, means the step defers nothing and
    /// [`Step::run`] runs instead. Only the last step is asked.
    async fn run_deferred(&self, _cx: &StepContext<'_>) -> Result<Option<Deferred>> {
        Ok(None)
    }
}

/// A step's output whose database writes are still to be made ([`Step::run_deferred`]).
pub struct Deferred {
    pub output: serde_json::Value,
    pub write: Box<dyn DeferredWrite>,
}

/// The writes of a [`Deferred`] step.
#[async_trait]
pub trait DeferredWrite: Send {
    /// Makes the writes in `tx`. Returns the step's output when the writes made it differ
    /// from the one announced (that one is then what the checkpoint holds).
    async fn write(
        self: Box<Self>,
        tx: &sea_orm::DatabaseTransaction,
    ) -> Result<Option<serde_json::Value>>;
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::invalid(e.to_string()))
}

/// Reads the file's content, unless the tenant parsed it before.
pub struct ExtractStep {
    pub limits: ExtractLimits,
}

#[async_trait]
impl Step for ExtractStep {
    fn name(&self) -> &'static str {
        "extract"
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<serde_json::Value> {
        // The file, its content and the tenant's resume of that content: read by the claim,
        // or else here in one query.
        let (object_id, storage_path, existing) = match cx.claimed_file {
            Some(f) => (f.storage_object_id, f.storage_path.clone(), f.resume_id),
            None => {
                let backend = cx.engine.backend();
                let mut p = crate::db::Placeholders::new(backend);
                let (p1, p2) = (p.next(), p.next());
                let row = cx
                    .engine
                    .read_one_raw(
                        Scope::Tenant(cx.tenant),
                        Statement::from_sql_and_values(
                            backend,
                            format!(
                                "SELECT f.storage_object_id, o.storage_path, {reusable} AS resume_id \
                                 FROM files f LEFT JOIN storage_objects o ON o.tenant_id = f.tenant_id \
                                   AND o.storage_object_id = f.storage_object_id \
                                 WHERE f.tenant_id = {p1} AND f.file_id = {p2} LIMIT 1",
                                reusable = crate::candidate::persist::reusable_resume_sql("f")
                            ),
                            [cx.tenant.into(), cx.file_id.into()],
                        ),
                    )
                    .await?
                    .ok_or_else(|| Error::not_found("file", cx.file_id))?;
                (
                    row.try_get::<Option<Uuid>>("", "storage_object_id")?,
                    row.try_get::<Option<String>>("", "storage_path")?,
                    row.try_get::<Option<Uuid>>("", "resume_id")?,
                )
            }
        };
        let object_id =
            object_id.ok_or_else(|| Error::invalid("the file was rejected at upload"))?;
        let storage_path =
            storage_path.ok_or_else(|| Error::not_found("storage object", object_id))?;
        if let Some(resume_id) = existing {
            return to_json(&Extracted {
                storage_object_id: object_id,
                reused_resume: Some(resume_id),
                text: None,
            });
        }
        let bytes = cx.engine.get_opened(cx.tenant, &storage_path).await?;
        let kind = crate::extract::sniff(&bytes).ok_or_else(|| {
            Error::invalid("unsupported file type (PDF, DOCX, DOC, RTF, HTML or text)")
        })?;
        let limits = self.limits.clone();
        let text = cx
            .engine
            .run_cpu(move || crate::extract::extract(&bytes, kind, &limits))
            .await??;
        to_json(&Extracted {
            storage_object_id: object_id,
            reused_resume: None,
            text: Some(text),
        })
    }
}

/// Reads the text into a resume: with the engine's LLM (through the cache) or heuristically.
pub struct ParseStep;

#[async_trait]
impl Step for ParseStep {
    fn name(&self) -> &'static str {
        "parse"
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<serde_json::Value> {
        let ex = cx.state.extracted()?;
        let Some(text) = &ex.text else {
            return to_json(&Parsed::default());
        };
        let mut flags = Vec::new();
        if text.has_hidden_text() {
            flags.push(format!(
                "hidden_text: {} run(s) of text a reader cannot see",
                text.hidden.len()
            ));
        }
        let out = match cx.engine.llm() {
            Some(client) => {
                let cached = CachedLlm::new(cx.engine, cx.tenant, client);
                let out = crate::candidate::llm_parser::parse(&cached, &text.text).await;
                if let Some(why) = &out.fallback_reason {
                    flags.push(format!("llm_fallback: {why}"));
                }
                if !out.dropped.is_empty() {
                    flags.push(format!("llm_unsupported_values: {}", out.dropped.len()));
                }
                Parsed {
                    resume: Some(out.resume.to_json_resume()),
                    parser: out.parser.to_owned(),
                    flags,
                    llm_requests: out.requests,
                    llm_responses: out.responses,
                }
            }
            None => Parsed {
                resume: Some(crate::candidate::heuristic::parse(text).to_json_resume()),
                parser: "heuristic".into(),
                flags,
                ..Default::default()
            },
        };
        to_json(&out)
    }
}

/// Validates and normalises the resume and stores the candidate (once per content).
pub struct ValidateStep;

#[async_trait]
impl Step for ValidateStep {
    fn name(&self) -> &'static str {
        "validate"
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<serde_json::Value> {
        let ex = cx.state.extracted()?;
        if let Some(id) = ex.reused_resume {
            return to_json(&Validated {
                resume_id: id,
                reused: true,
                warnings: Vec::new(),
                created: false,
                resume: None,
            });
        }
        let parsed = cx
            .state
            .parse
            .as_ref()
            .ok_or_else(|| Error::Config("the parse step has not run".into()))?;
        let text = ex
            .text
            .clone()
            .ok_or_else(|| Error::Config("the extract step kept no text".into()))?;
        let resume = ParsedResume::from_json_resume(
            parsed.resume.as_ref().unwrap_or(&serde_json::Value::Null),
        )
        .map_err(|e| Error::Storage(format!("parse checkpoint: {e}")))?;
        let v = validate(resume, cx.as_of);
        let doc = DocumentParse {
            kind: text.kind,
            text,
            resume: v.resume,
            experience_months: v.experience_months,
            parser: parsed.parser.clone(),
            flags: parsed.flags.clone(),
            warnings: v.warnings.clone(),
            llm_requests: parsed.llm_requests.clone(),
            llm_responses: parsed.llm_responses.clone(),
        };
        let stored = crate::candidate::persist::store_parse(
            cx.engine,
            cx.tenant,
            ex.storage_object_id,
            &doc,
        )
        .await?;
        to_json(&Validated {
            resume_id: stored.resume_id,
            reused: false,
            warnings: v.warnings,
            created: stored.created,
            resume: stored.created.then_some(stored.json),
        })
    }
}

/// Scores the resume against the batch's job description and writes its result.
pub struct ScoreStep;

#[async_trait]
impl Step for ScoreStep {
    fn name(&self) -> &'static str {
        "score"
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<serde_json::Value> {
        let validated = validated(cx)?;
        let out = crate::scoring::persist::score_resume(
            cx.engine,
            cx.tenant,
            cx.batch_id,
            validated.resume_id,
            cx.engine.llm(),
            cx.as_of,
            fresh_resume(cx)?,
        )
        .await?;
        to_json(&out)
    }

    /// A resume validate created in this run has no result row in the batch yet, so the
    /// score's output (with its result id) is known before the rows are written, and they
    /// commit with the checkpoint and the file's finish.
    async fn run_deferred(&self, cx: &StepContext<'_>) -> Result<Option<Deferred>> {
        let Some(fresh) = fresh_resume(cx)? else {
            return Ok(None);
        };
        let w = crate::scoring::persist::prepare_score(
            cx.engine,
            cx.tenant,
            cx.batch_id,
            validated(cx)?.resume_id,
            cx.engine.llm(),
            cx.as_of,
            Some(fresh),
        )
        .await?;
        Ok(Some(Deferred {
            output: to_json(&w.planned())?,
            write: Box::new(w),
        }))
    }
}

fn validated<'a>(cx: &'a StepContext<'_>) -> Result<&'a Validated> {
    cx.state
        .validate
        .as_ref()
        .ok_or_else(|| Error::Config("the validate step has not run".into()))
}

/// The resume validate created in this run, in hand: its text is the extracted text, its
/// parsed form the JSON validate stored, and it has no AI score yet.
fn fresh_resume(cx: &StepContext<'_>) -> Result<Option<crate::scoring::persist::FreshResume>> {
    let validated = validated(cx)?;
    Ok(
        match (
            cx.state.validated_here && validated.created,
            &validated.resume,
            cx.state.extract.as_ref().and_then(|e| e.text.as_ref()),
        ) {
            (true, Some(json), Some(text)) => Some(crate::scoring::persist::FreshResume {
                text: text.text.clone(),
                parsed: ParsedResume::from_json_resume(json)
                    .map_err(|e| Error::Storage(format!("validate checkpoint: {e}")))?,
            }),
            _ => None,
        },
    )
}

#[async_trait]
impl DeferredWrite for crate::scoring::persist::ScoreWrite {
    async fn write(
        self: Box<Self>,
        tx: &sea_orm::DatabaseTransaction,
    ) -> Result<Option<serde_json::Value>> {
        let planned = self.planned();
        let out = crate::scoring::persist::ScoreWrite::write(*self, tx).await?;
        // A result row that existed already keeps its id, which is then the one to
        // report. (For a resume created in this run none should: a batch holds each
        // content once, and another run of this job is fenced out. This is defence.)
        Ok(if out == planned {
            None
        } else {
            Some(to_json(&out)?)
        })
    }
}

/// Seals a step's output into the store at `key`; returns the SHA-256 of its JSON, which
/// its checkpoint row records.
async fn put_payload(
    engine: &Engine,
    tenant: Uuid,
    key: &str,
    value: &serde_json::Value,
) -> Result<String> {
    let body = serde_json::to_vec(value).map_err(|e| Error::invalid(e.to_string()))?;
    let sha = hex::encode(Sha256::digest(&body));
    engine.put_sealed(tenant, key, body).await?;
    Ok(sha)
}

/// How a file ended.
enum Outcome<'a> {
    Completed,
    Failed { code: &'a str, message: &'a str },
}

/// Moves a file to its final status once (and records its error), and on SQLite counts it
/// in its batch in the same transaction ([`settle_in`]). On PostgreSQL the counting waits
/// for [`settle_files`] after the commit: the batch row is shared by every file of the
/// batch, and a transaction that updates it holds it until its commit is flushed, so
/// counting in the file's own transaction let a batch finish at most one file per WAL
/// flush across all workers. Safe to run any number of times.
async fn finish_file<C: ConnectionTrait>(
    tx: &C,
    tenant: Uuid,
    batch_id: Uuid,
    file_id: Uuid,
    job_id: Option<Uuid>,
    outcome: Outcome<'_>,
) -> Result<()> {
    let t = now();
    let (status, code, message) = match outcome {
        Outcome::Completed => (FileStatus::Completed, None, None),
        Outcome::Failed { code, message } => (FileStatus::Failed, Some(code), Some(message)),
    };
    let moved = files::Entity::update_many()
        .col_expr(files::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            files::Column::ErrorCode,
            Expr::value(code.map(str::to_owned)),
        )
        .col_expr(
            files::Column::Error,
            Expr::value(message.map(|m| m.chars().take(2000).collect::<String>())),
        )
        .col_expr(files::Column::UpdatedAt, Expr::value(t))
        .filter(files::Column::TenantId.eq(tenant))
        .filter(files::Column::FileId.eq(file_id))
        .filter(
            files::Column::Status
                .is_in([FileStatus::Queued.as_str(), FileStatus::Processing.as_str()]),
        )
        .exec(tx)
        .await?
        .rows_affected;
    if moved > 0
        && let (Some(code), Some(message)) = (code, message)
    {
        crate::audit::record_error(
            tx,
            tenant,
            Some(batch_id),
            Some(file_id),
            job_id,
            code,
            message,
            serde_json::json!({}),
        )
        .await?;
    }
    if settles_in_file_tx(tx.get_database_backend()) {
        settle_in(tx, tenant, batch_id, &[file_id]).await?;
    }
    Ok(())
}

/// Whether a finished file is counted in its own transaction (SQLite, which has one writer
/// anyway) or after it commits ([`settle_files`], PostgreSQL).
fn settles_in_file_tx(backend: sea_orm::DbBackend) -> bool {
    backend != sea_orm::DbBackend::Postgres
}

/// Counts the final status of those of `file_ids` that are final and not yet counted into
/// their batch (`files.counted` guards that each is counted once), completes the batch
/// when that was its last open file, and ranks a completed batch (again, after a replay).
async fn settle_in<C: ConnectionTrait>(
    tx: &C,
    tenant: Uuid,
    batch_id: Uuid,
    file_ids: &[Uuid],
) -> Result<()> {
    let backend = tx.get_database_backend();
    let mut q = sea_orm::QueryTrait::into_query(
        files::Entity::update_many()
            .col_expr(files::Column::Counted, Expr::value(true))
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::BatchId.eq(batch_id))
            .filter(crate::db::id_in(
                backend,
                (files::Entity, files::Column::FileId),
                file_ids,
            ))
            .filter(files::Column::Counted.eq(false))
            .filter(
                files::Column::Status
                    .is_in([FileStatus::Completed.as_str(), FileStatus::Failed.as_str()]),
            ),
    );
    q.returning_col(files::Column::Status);
    let mut done = 0;
    let mut failed = 0;
    for row in tx.query_all_raw(backend.build(&q)).await? {
        let status: String = row.try_get_by_index(0)?;
        if status == FileStatus::Completed.as_str() {
            done += 1;
        } else {
            failed += 1;
        }
    }
    // The batch completes in the same statement if these were its last open files (CASE
    // sees the row as it was before the update).
    let t = now();
    let all_done = || {
        Expr::col(batches::Column::Status)
            .eq(BatchStatus::Processing.as_str())
            .and(
                Expr::col(batches::Column::ProcessedFiles)
                    .add(Expr::col(batches::Column::FailedFiles))
                    .add(done + failed)
                    .eq(Expr::col(batches::Column::TotalFiles)),
            )
    };
    let mut q = sea_orm::QueryTrait::into_query(
        batches::Entity::update_many()
            .col_expr(
                batches::Column::Status,
                Expr::case(all_done(), BatchStatus::Completed.as_str())
                    .finally(Expr::col(batches::Column::Status))
                    .into(),
            )
            .col_expr(
                batches::Column::CompletedAt,
                Expr::case(all_done(), t)
                    .finally(Expr::col(batches::Column::CompletedAt))
                    .into(),
            )
            .col_expr(
                batches::Column::ProcessedFiles,
                Expr::col(batches::Column::ProcessedFiles).add(done),
            )
            .col_expr(
                batches::Column::FailedFiles,
                Expr::col(batches::Column::FailedFiles).add(failed),
            )
            .col_expr(batches::Column::UpdatedAt, Expr::value(t))
            .filter(batches::Column::TenantId.eq(tenant))
            .filter(batches::Column::BatchId.eq(batch_id)),
    );
    q.returning_col(batches::Column::Status);
    let batch_status: String = tx
        .query_one_raw(backend.build(&q))
        .await?
        .ok_or_else(|| Error::not_found("batch", batch_id))?
        .try_get_by_index(0)?;
    if batch_status == BatchStatus::Completed.as_str() {
        crate::scoring::persist::rank_in(tx, tenant, batch_id).await?;
    }
    Ok(())
}

/// Files of each (tenant, batch) waiting to be counted, and the batches one of this
/// process's tasks is counting now (see [`settle_files`]).
#[derive(Default)]
pub(crate) struct Settling {
    pending: std::sync::Mutex<std::collections::HashMap<(Uuid, Uuid), SettleQueue>>,
}

#[derive(Default)]
struct SettleQueue {
    files: Vec<Uuid>,
    /// A task is counting this batch's files and takes these up before it stops.
    active: bool,
}

/// Counts files that [`finish_file`] moved in a transaction that has committed (on
/// PostgreSQL; on SQLite they were counted in it and this does nothing).
///
/// The counting is a short transaction of its own that commits without waiting for the
/// WAL flush: the counters are derived from the files' statuses, which are durable, and a
/// count lost to a crash (of this process before it ran, or of the server before the
/// flush) rolls back with the files' flags and is made again by [`settle_uncounted`],
/// which every idle worker runs (so a failure here is logged, not returned). While one task of this process counts a batch, others
/// finishing files of the same batch leave theirs to it and return, so that under load
/// one transaction counts several files.
pub(crate) async fn settle_files(engine: &Engine, tenant: Uuid, batch_id: Uuid, file_ids: &[Uuid]) {
    if settles_in_file_tx(engine.backend()) {
        return;
    }
    let key = (tenant, batch_id);
    let settling = engine.settling();
    {
        let mut pending = settling.pending.lock().expect("settling lock");
        let q = pending.entry(key).or_default();
        q.files.extend_from_slice(file_ids);
        if q.active {
            return;
        }
        q.active = true;
    }
    // If this future is dropped mid-way (its task aborted), the batch is no longer being
    // counted here: the next file starts again, and what was waiting is left to
    // `settle_uncounted`.
    struct Active<'a> {
        settling: &'a Settling,
        key: (Uuid, Uuid),
        done: bool,
    }
    impl Drop for Active<'_> {
        fn drop(&mut self) {
            if !self.done
                && let Ok(mut pending) = self.settling.pending.lock()
            {
                pending.remove(&self.key);
            }
        }
    }
    let mut active = Active {
        settling,
        key,
        done: false,
    };
    loop {
        let files = {
            let mut pending = settling.pending.lock().expect("settling lock");
            let q = pending.entry(key).or_default();
            if q.files.is_empty() {
                pending.remove(&key);
                active.done = true;
                break;
            }
            std::mem::take(&mut q.files)
        };
        // A failure leaves these files to `settle_uncounted`; the others are still counted.
        if let Err(e) = settle_tx(engine, tenant, batch_id, &files).await {
            tracing::warn!(batch = %batch_id, files = files.len(), error = %e,
                "finished files not counted in their batch yet");
        }
    }
}

/// [`settle_in`] in a transaction of its own. On PostgreSQL it commits without waiting
/// for the WAL flush (see [`settle_files`]).
async fn settle_tx(engine: &Engine, tenant: Uuid, batch_id: Uuid, files: &[Uuid]) -> Result<()> {
    let tx = engine.begin(Scope::Tenant(tenant)).await?;
    if engine.backend() == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    settle_in(&tx, tenant, batch_id, files).await?;
    tx.commit().await?;
    Ok(())
}

/// Counts final files that are not counted yet in batches still processing: the worker
/// that finished them died (or the server lost the count) between the file's commit and
/// [`settle_files`]. Returns how many files it counted.
pub(crate) async fn settle_uncounted(engine: &Engine) -> Result<usize> {
    let db = engine.writer();
    let backend = db.get_database_backend();
    let tx = crate::db::begin(db, Scope::System).await?;
    let rows = tx
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT f.tenant_id, f.batch_id, f.file_id FROM batches b \
             JOIN files f ON f.tenant_id = b.tenant_id AND f.batch_id = b.batch_id \
             WHERE b.status = 'processing' AND NOT f.counted \
             AND f.status IN ('completed', 'failed') LIMIT 1000",
        ))
        .await?;
    tx.commit().await?;
    let mut by_batch: std::collections::BTreeMap<(Uuid, Uuid), Vec<Uuid>> = Default::default();
    for r in &rows {
        by_batch
            .entry((r.try_get("", "tenant_id")?, r.try_get("", "batch_id")?))
            .or_default()
            .push(r.try_get("", "file_id")?);
    }
    for ((tenant, batch_id), file_ids) in by_batch {
        settle_tx(engine, tenant, batch_id, &file_ids).await?;
    }
    Ok(rows.len())
}

/// The pipeline as a [`JobHandler`]: what [`Engine::worker`] runs.
pub struct Pipeline {
    steps: Vec<Arc<dyn Step>>,
    as_of: Option<YearMonth>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline {
            steps: vec![
                Arc::new(ExtractStep {
                    limits: ExtractLimits::default(),
                }),
                Arc::new(ParseStep),
                Arc::new(ValidateStep),
                Arc::new(ScoreStep),
            ],
            as_of: None,
        }
    }
}

impl Pipeline {
    /// Counts experience up to `as_of` instead of the current month (for reproducible
    /// evaluations).
    pub fn with_as_of(mut self, as_of: YearMonth) -> Self {
        self.as_of = Some(as_of);
        self
    }

    async fn finish(
        engine: &Engine,
        tenant: Uuid,
        batch_id: Uuid,
        file_id: Uuid,
        job_id: Uuid,
        outcome: Outcome<'_>,
    ) -> Result<()> {
        let tx = engine.begin(Scope::Tenant(tenant)).await?;
        finish_file(&tx, tenant, batch_id, file_id, Some(job_id), outcome).await?;
        tx.commit().await?;
        settle_files(engine, tenant, batch_id, &[file_id]).await;
        Ok(())
    }

    /// A step failed: a permanent error, or a transient one on the job's last attempt,
    /// fails the file for good; any other is retried.
    async fn step_failed(
        engine: &Engine,
        job: &crate::queue::ClaimedJob,
        step: &str,
        e: Error,
    ) -> std::result::Result<(), JobError> {
        let (Some(batch_id), Some(file_id)) = (job.batch_id, job.file_id) else {
            return Err(JobError::from(e));
        };
        let message = match JobError::from(e) {
            JobError::Permanent(msg) => msg,
            JobError::Retryable(msg) if job.attempts >= job.max_attempts => {
                format!("{msg} (after {} attempts)", job.attempts)
            }
            retry => return Err(retry),
        };
        Self::finish(
            engine,
            job.tenant_id,
            batch_id,
            file_id,
            job.job_id,
            Outcome::Failed {
                code: &format!("{step}_failed"),
                message: &message,
            },
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl JobHandler for Pipeline {
    async fn handle(&self, ctx: &JobContext) -> std::result::Result<(), JobError> {
        let job = ctx.job();
        if job.kind != PROCESS_FILE {
            return Err(JobError::Permanent(format!(
                "the pipeline does not run {:?} jobs",
                job.kind
            )));
        }
        let (Some(batch_id), Some(file_id)) = (job.batch_id, job.file_id) else {
            return Err(JobError::Permanent(
                "a process_file job needs a batch and a file".into(),
            ));
        };
        let engine = ctx.engine();
        let tenant = job.tenant_id;
        // The steps already done: their checkpoints came with the claim.
        let done = &job.checkpoints;
        let mut state = State::default();
        // Whether this run finished the file with its last checkpoint.
        let mut finished = false;
        for (i, step) in self.steps.iter().enumerate() {
            let name = step.name();
            if let Some(cp) = done.iter().find(|c| c.step == name) {
                // A payload that is gone or is not what the row recorded is no checkpoint:
                // the step runs again (its writes are idempotent) and checkpoints anew.
                match engine.get_opened(tenant, &cp.payload_path).await {
                    Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == cp.sha256 => {
                        let value: serde_json::Value = serde_json::from_slice(&bytes)
                            .map_err(|e| Error::Storage(format!("checkpoint {name}: {e}")))?;
                        state.set(name, value)?;
                        continue;
                    }
                    // Not what was written: altered, or not a sealed object at all.
                    Ok(_) | Err(Error::Crypto(_)) => tracing::warn!(
                        job = %job.job_id,
                        step = name,
                        "checkpoint payload is not what its row recorded; running the step again"
                    ),
                    Err(Error::NotFound { .. }) => tracing::warn!(
                        job = %job.job_id,
                        step = name,
                        "checkpoint payload is missing; running the step again"
                    ),
                    Err(e) => return Err(e.into()),
                }
            }
            let cx = StepContext {
                engine,
                tenant,
                batch_id,
                file_id,
                job_id: job.job_id,
                as_of: self.as_of.unwrap_or_else(current_month),
                state: &state,
                claimed_file: job.file.as_ref(),
            };
            let last_step = i + 1 == self.steps.len();
            let ran = if last_step {
                match step.run_deferred(&cx).await {
                    Ok(Some(d)) => Ok((d.output, Some(d.write))),
                    Ok(None) => step.run(&cx).await.map(|v| (v, None)),
                    Err(e) => Err(e),
                }
            } else {
                step.run(&cx).await.map(|v| (v, None))
            };
            let (mut value, deferred) = match ran {
                Ok(v) => v,
                Err(e) => return Self::step_failed(engine, job, name, e).await,
            };
            let key = crate::store::checkpoint_key(tenant, job.job_id, name);
            let sha = put_payload(engine, tenant, &key, &value).await?;
            if !last_step {
                ctx.checkpoint(name, &key, &sha).await?;
                state.set(name, value)?;
                state.validated_here |= name == "validate";
                continue;
            }
            // The last checkpoint's transaction also completes the job and finishes the
            // file (fenced with it, so a worker that lost its lease does none of it), and
            // holds the step's own writes when it deferred them.
            let tx = ctx.completing_tx(name, &key, &sha).await?;
            if let Some(write) = deferred {
                match write.write(&tx).await {
                    Ok(None) => {}
                    // The writes changed the output: the checkpoint holds the new one.
                    Ok(Some(actual)) => {
                        let sha = put_payload(engine, tenant, &key, &actual).await?;
                        checkpoints::Entity::update_many()
                            .col_expr(checkpoints::Column::Sha256, Expr::value(sha))
                            .filter(checkpoints::Column::JobId.eq(job.job_id))
                            .filter(checkpoints::Column::Step.eq(name))
                            .exec(&tx)
                            .await
                            .map_err(Error::from)?;
                        value = actual;
                    }
                    Err(e) => {
                        tx.rollback().await.map_err(Error::from)?;
                        return Self::step_failed(engine, job, name, e).await;
                    }
                }
            }
            finish_file(
                &tx,
                tenant,
                batch_id,
                file_id,
                Some(job.job_id),
                Outcome::Completed,
            )
            .await?;
            finished = true;
            ctx.commit_completed(tx).await?;
            settle_files(engine, tenant, batch_id, &[file_id]).await;
            state.set(name, value)?;
        }
        if ctx.lease_lost() {
            return Err(JobError::Retryable("lease lost".into()));
        }
        if !finished {
            // Every step was checkpointed by an earlier run that died before finishing.
            Self::finish(
                engine,
                tenant,
                batch_id,
                file_id,
                job.job_id,
                Outcome::Completed,
            )
            .await?;
        }
        Ok(())
    }

    async fn on_idle(&self, engine: &Engine) -> Result<()> {
        sweep_failed_jobs(engine).await?;
        settle_uncounted(engine).await?;
        Ok(())
    }
}

/// How far back [`sweep_failed_jobs`] looks for failed jobs, in days.
const SWEEP_DAYS: i64 = 7;

/// Files whose job failed without the pipeline marking them (a lease that expired on the
/// last attempt) are marked failed, so their batch can complete. Returns how many.
pub(crate) async fn sweep_failed_jobs(engine: &Engine) -> Result<usize> {
    let db = engine.writer();
    let backend = db.get_database_backend();
    let tx = crate::db::begin(db, Scope::System).await?;
    let mut p = crate::db::Placeholders::new(backend);
    let (p1, p2) = (p.next(), p.next());
    // Failed jobs pile up; only recent ones can still have an open file, since every
    // worker sweeps right after its rescue pass.
    let since = now() - chrono::Duration::days(SWEEP_DAYS);
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT j.tenant_id, j.batch_id, j.file_id, j.job_id, j.last_error FROM jobs j \
                 JOIN files f ON f.tenant_id = j.tenant_id AND f.file_id = j.file_id \
                 WHERE j.kind = {p1} AND j.status = 'failed' AND j.completed_at > {p2} \
                 AND f.status IN ('queued', 'processing') LIMIT 500"
            ),
            [PROCESS_FILE.into(), since.into()],
        ))
        .await?;
    tx.commit().await?;
    let mut n = 0;
    for r in rows {
        let tenant: Uuid = r.try_get("", "tenant_id")?;
        let batch: Option<Uuid> = r.try_get("", "batch_id")?;
        let file: Option<Uuid> = r.try_get("", "file_id")?;
        let job: Uuid = r.try_get("", "job_id")?;
        let last: Option<String> = r.try_get("", "last_error")?;
        let (Some(batch), Some(file)) = (batch, file) else {
            continue;
        };
        let tx = engine.begin(Scope::Tenant(tenant)).await?;
        finish_file(
            &tx,
            tenant,
            batch,
            file,
            Some(job),
            Outcome::Failed {
                code: "job_failed",
                message: last.as_deref().unwrap_or("the job failed"),
            },
        )
        .await?;
        tx.commit().await?;
        settle_files(engine, tenant, batch, &[file]).await;
        n += 1;
    }
    Ok(n)
}

impl Engine {
    /// A worker running the pipeline: `run_until_idle()` for embedded use, `run(shutdown)`
    /// for a long-lived process.
    pub fn worker(&self, config: WorkerConfig) -> Worker {
        self.worker_with(config, Arc::new(Pipeline::default()))
    }

    /// Requeues `job` to run again from `from_step`: the checkpoints of that step and the
    /// later ones are dropped, earlier ones kept. Operator-level (any tenant); sessions use
    /// [`Session::replay`].
    pub async fn replay(&self, job_id: Uuid, from_step: &str) -> Result<JobReplay> {
        replay(self, None, job_id, from_step).await
    }
}

impl Session {
    /// [`Engine::replay`] for a job of this session's tenant (`batch_write`). Audited.
    pub async fn replay(&self, job_id: Uuid, from_step: &str) -> Result<JobReplay> {
        self.require(Permission::BatchWrite)?;
        let r = replay(self.engine(), Some(self.tenant_id()), job_id, from_step).await?;
        let tx = self.begin().await?;
        self.audit(
            &tx,
            "job.replay",
            "job",
            Some(job_id),
            serde_json::json!({"from_step": from_step, "dropped": r.dropped_steps}),
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The pipeline jobs of a batch with the steps each has done (`batch_read`).
    pub async fn jobs(&self, batch_id: Uuid) -> Result<Vec<JobSteps>> {
        self.require(Permission::BatchRead)?;
        let tenant = self.tenant_id();
        let tx = self.begin_read().await?;
        crate::ingest::batch_model(&tx, tenant, batch_id, false).await?;
        let rows = jobs::Entity::find()
            .filter(jobs::Column::TenantId.eq(tenant))
            .filter(jobs::Column::BatchId.eq(batch_id))
            .order_by_asc(jobs::Column::CreatedAt)
            .all(&tx)
            .await?;
        let cps = checkpoints::Entity::find()
            .filter(checkpoints::Column::TenantId.eq(tenant))
            .filter(
                checkpoints::Column::JobId.in_subquery(
                    Query::select()
                        .column(jobs::Column::JobId)
                        .from(jobs::Entity)
                        .and_where(jobs::Column::TenantId.eq(tenant))
                        .and_where(jobs::Column::BatchId.eq(batch_id))
                        .to_owned(),
                ),
            )
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|j| JobSteps {
                steps: STEPS
                    .iter()
                    .filter(|s| cps.iter().any(|c| c.job_id == j.job_id && c.step == **s))
                    .map(|s| s.to_string())
                    .collect(),
                job_id: j.job_id,
                file_id: j.file_id,
                status: j.status,
                attempts: j.attempts,
                last_error: j.last_error,
            })
            .collect())
    }
}

/// A pipeline job and the steps it has checkpointed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSteps {
    pub job_id: Uuid,
    pub file_id: Option<Uuid>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Checkpointed steps, in pipeline order.
    pub steps: Vec<String>,
}

/// What a replay did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobReplay {
    pub job_id: Uuid,
    pub tenant_id: Uuid,
    /// The checkpoints dropped (the step named and those after it).
    pub dropped_steps: Vec<String>,
}

async fn replay(
    engine: &Engine,
    tenant: Option<Uuid>,
    job_id: Uuid,
    from_step: &str,
) -> Result<JobReplay> {
    let Some(from) = STEPS.iter().position(|s| *s == from_step) else {
        return Err(Error::invalid(format!(
            "unknown step {from_step:?}; the steps are {}",
            STEPS.join(", ")
        )));
    };
    let scope = tenant.map_or(Scope::System, Scope::Tenant);
    let tx = engine.begin(scope).await?;
    let mut q = jobs::Entity::find().filter(jobs::Column::JobId.eq(job_id));
    if let Some(t) = tenant {
        q = q.filter(jobs::Column::TenantId.eq(t));
    }
    let job = q
        .one(&tx)
        .await?
        .ok_or_else(|| Error::not_found("job", job_id))?;
    if job.kind != PROCESS_FILE {
        return Err(Error::invalid(format!(
            "job {job_id} is not a pipeline job"
        )));
    }
    if job.status == "in_progress" || job.status == "queued" {
        return Err(Error::Conflict(format!(
            "job {job_id} is {}; replay it once it has finished",
            job.status
        )));
    }
    if job.status == "cancelled" {
        return Err(Error::Conflict(format!("job {job_id} was cancelled")));
    }
    let tenant = job.tenant_id;
    crate::db::set_scope(&tx, Scope::Tenant(tenant)).await?;
    let dropped: Vec<String> = STEPS[from..].iter().map(|s| s.to_string()).collect();
    let gone = checkpoints::Entity::find()
        .filter(checkpoints::Column::TenantId.eq(tenant))
        .filter(checkpoints::Column::JobId.eq(job_id))
        .filter(checkpoints::Column::Step.is_in(dropped.clone()))
        .all(&tx)
        .await?;
    checkpoints::Entity::delete_many()
        .filter(checkpoints::Column::TenantId.eq(tenant))
        .filter(checkpoints::Column::JobId.eq(job_id))
        .filter(checkpoints::Column::Step.is_in(dropped.clone()))
        .exec(&tx)
        .await?;
    let t = now();
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value("queued"))
        .col_expr(jobs::Column::Attempts, Expr::value(0))
        .col_expr(jobs::Column::RunAt, Expr::value(t))
        .col_expr(jobs::Column::WorkerId, Expr::value(Option::<Uuid>::None))
        .col_expr(jobs::Column::LockToken, Expr::value(Option::<Uuid>::None))
        .col_expr(
            jobs::Column::LeaseExpiresAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(jobs::Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(
            jobs::Column::CompletedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(t))
        .filter(jobs::Column::JobId.eq(job_id))
        .filter(jobs::Column::TenantId.eq(tenant))
        .exec(&tx)
        .await?;
    // The file runs again: a failed one is no longer counted as failed, and its batch is
    // open again until it finishes.
    if let (Some(batch_id), Some(file_id)) = (job.batch_id, job.file_id) {
        let reopen = files::Entity::update_many()
            .col_expr(
                files::Column::Status,
                Expr::value(FileStatus::Queued.as_str()),
            )
            .col_expr(
                files::Column::ErrorCode,
                Expr::value(Option::<String>::None),
            )
            .col_expr(files::Column::Error, Expr::value(Option::<String>::None))
            .col_expr(files::Column::UpdatedAt, Expr::value(t))
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::FileId.eq(file_id))
            .filter(files::Column::Status.eq(FileStatus::Failed.as_str()))
            .filter(files::Column::StorageObjectId.is_not_null());
        // Only a failure already counted is taken out of the batch's counter: the first
        // update reopens a counted one (and clears its flag), the second one whose count
        // was lost (a settle that never committed), which no counter holds.
        let reopened = reopen
            .clone()
            .filter(files::Column::Counted.eq(true))
            .col_expr(files::Column::Counted, Expr::value(false))
            .exec(&tx)
            .await?
            .rows_affected;
        reopen.exec(&tx).await?;
        if reopened > 0 {
            batches::Entity::update_many()
                .col_expr(
                    batches::Column::FailedFiles,
                    Expr::col(batches::Column::FailedFiles).sub(1),
                )
                .col_expr(
                    batches::Column::Status,
                    Expr::value(BatchStatus::Processing.as_str()),
                )
                .col_expr(
                    batches::Column::CompletedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .col_expr(batches::Column::UpdatedAt, Expr::value(t))
                .filter(batches::Column::TenantId.eq(tenant))
                .filter(batches::Column::BatchId.eq(batch_id))
                .filter(batches::Column::Status.is_in([
                    BatchStatus::Processing.as_str(),
                    BatchStatus::Completed.as_str(),
                ]))
                .exec(&tx)
                .await?;
        }
    }
    tx.commit().await?;
    // The dropped payloads go too (their keys are rewritten by the rerun anyway).
    if let Ok(store) = engine.store() {
        for cp in gone {
            store.delete(&cp.payload_path).await?;
        }
    }
    Ok(JobReplay {
        job_id,
        tenant_id: tenant,
        dropped_steps: dropped,
    })
}
