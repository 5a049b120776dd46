//! Batches and the files added to them, through a [`crate::Session`].
//!
//! Invariants, and how they hold under concurrent callers:
//! - **One storage object per tenant and content.** The blob is written first, write-once
//!   under a key derived from the content, so any number of writers leave one blob; the
//!   row is then inserted with `ON CONFLICT (tenant_id, sha256) DO NOTHING` and read back,
//!   so the unique key decides which insert wins and the losers reuse its row. A crash
//!   between the two leaves an unreferenced blob, never a row pointing at nothing.
//! - **One file row per content and batch.** `files` is partitioned on PostgreSQL and
//!   cannot carry a unique (batch, sha256) key, so adds to one batch are serialised by
//!   locking the batch row (`SELECT … FOR UPDATE`; SQLite serialises writers already with
//!   `BEGIN IMMEDIATE`) and then check before they insert.
//! - **Exact counters.** `total_files`, `processed_files` and `failed_files` only ever move
//!   by `SET x = x + n` in the database, never by writing back a value read earlier. A
//!   processed file is counted once, guarded by `files.counted` (see the pipeline's
//!   settle, which on PostgreSQL follows the file's own transaction).
//! - **Status machine.** created → processing → completed | failed | cancelled. Files are
//!   added only while `created`; [`Batches::submit`] moves to `processing` and enqueues one
//!   `process_file` job per accepted file.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entity::{batches, files, storage_objects};
use super::input::{self, IngestError, IngestLimits, Input};
use super::sniff::ContentType;
use crate::audit;
use crate::db::{new_id, now};
use crate::error::{Error, Result};
use crate::scoring::entity::weightage_profiles;
use crate::tenancy::Permission;
use crate::{Session, jd, store};

/// The job kind [`Batches::submit`] enqueues, one per accepted file.
pub const PROCESS_FILE: &str = "process_file";

/// The longest batch name accepted, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The longest file name kept, in characters; longer names are cut.
const MAX_FILE_NAME_CHARS: usize = 1024;

/// Where a batch is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Open: files can be added.
    Created,
    /// Submitted: its files are being processed.
    Processing,
    /// Every file was processed or rejected.
    Completed,
    /// The batch as a whole failed (not one file: bad files never fail a batch).
    Failed,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Created => "created",
            BatchStatus::Processing => "processing",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the batch has ended (completed, failed or cancelled).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchStatus::Completed | BatchStatus::Failed | BatchStatus::Cancelled
        )
    }
}

impl FromStr for BatchStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "created" => BatchStatus::Created,
            "processing" => BatchStatus::Processing,
            "completed" => BatchStatus::Completed,
            "failed" => BatchStatus::Failed,
            "cancelled" => BatchStatus::Cancelled,
            other => return Err(Error::invalid(format!("unknown batch status {other:?}"))),
        })
    }
}

/// Where a file is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Accepted and stored, waiting for the batch to be submitted.
    Received,
    /// A job for it is queued.
    Queued,
    Processing,
    Completed,
    /// Rejected at upload (see `error_code`) or failed in processing.
    Failed,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Received => "received",
            FileStatus::Queued => "queued",
            FileStatus::Processing => "processing",
            FileStatus::Completed => "completed",
            FileStatus::Failed => "failed",
        }
    }
}

impl FromStr for FileStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "received" => FileStatus::Received,
            "queued" => FileStatus::Queued,
            "processing" => FileStatus::Processing,
            "completed" => FileStatus::Completed,
            "failed" => FileStatus::Failed,
            other => return Err(Error::invalid(format!("unknown file status {other:?}"))),
        })
    }
}

/// A batch: files screened against one version of a job description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub batch_id: Uuid,
    pub tenant_id: Uuid,
    pub jd_id: Uuid,
    /// The job description's version when the batch was created.
    pub jd_version: i32,
    pub name: Option<String>,
    pub weightage_profile_id: Option<Uuid>,
    /// The profile as it was when the batch was created.
    pub weightage_profile: Option<serde_json::Value>,
    pub status: BatchStatus,
    pub total_files: i32,
    pub processed_files: i32,
    pub failed_files: i32,
    pub created_by: Option<Uuid>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the batch reached a terminal status (completed, failed or cancelled).
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<batches::Model> for Batch {
    type Error = Error;
    fn try_from(m: batches::Model) -> Result<Self> {
        Ok(Batch {
            batch_id: m.batch_id,
            tenant_id: m.tenant_id,
            jd_id: m.jd_id,
            jd_version: m.jd_version,
            name: m.name,
            weightage_profile_id: m.weightage_profile_id,
            weightage_profile: m.weightage_profile,
            status: m.status.parse()?,
            total_files: m.total_files,
            processed_files: m.processed_files,
            failed_files: m.failed_files,
            created_by: m.created_by,
            submitted_at: m.submitted_at,
            completed_at: m.completed_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A batch's counters: what [`Batches::status`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProgress {
    pub batch_id: Uuid,
    pub status: BatchStatus,
    pub total_files: i32,
    pub processed_files: i32,
    /// Rejected at upload or failed in processing.
    pub failed_files: i32,
    /// Neither processed nor failed yet.
    pub pending_files: i32,
}

/// One file of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchFile {
    pub file_id: Uuid,
    pub batch_id: Uuid,
    /// The stored content; `None` for a rejected upload.
    pub storage_object_id: Option<Uuid>,
    pub original_name: String,
    /// Hex SHA-256 of the content; `None` when it was not read (oversized, unreadable).
    pub sha256: Option<String>,
    pub size: i64,
    pub content_type: Option<ContentType>,
    pub status: FileStatus,
    /// A stable code (`empty_file`, `file_too_large`, `unsupported_type`,
    /// `unreadable_file`, or a processing error's code) when the file failed.
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<files::Model> for BatchFile {
    type Error = Error;
    fn try_from(m: files::Model) -> Result<Self> {
        Ok(BatchFile {
            file_id: m.file_id,
            batch_id: m.batch_id,
            storage_object_id: m.storage_object_id,
            original_name: m.original_name,
            sha256: m.sha256,
            size: m.size,
            content_type: m.content_type.as_deref().map(str::parse).transpose()?,
            status: m.status.parse()?,
            error_code: m.error_code,
            error: m.error,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// What [`Batches::create`] needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewBatch {
    pub jd_id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
    /// The weightage profile to score with; the tenant's default profile when `None`
    /// (and none at all when the tenant has no default).
    #[serde(default)]
    pub weightage_profile_id: Option<Uuid>,
}

/// What adding one file did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "disposition", rename_all = "snake_case")]
pub enum Disposition {
    /// New content for the tenant: its blob and storage object were created.
    Stored,
    /// The tenant had this content already (from another batch or upload): the new file
    /// row points at the existing storage object and blob.
    Deduplicated,
    /// The batch already holds this content (or this rejected upload): the existing file
    /// row is returned and nothing changed.
    AlreadyInBatch,
    /// The upload was rejected; it is recorded as a failed file and in `error_logs`.
    Rejected { error: IngestError },
}

/// The file row an add produced (or found), and what the add did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddedFile {
    pub file: BatchFile,
    pub disposition: Disposition,
}

/// One file found by [`Batches::add_dir`] and what adding it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirEntryAdded {
    pub path: PathBuf,
    pub added: AddedFile,
}

/// The batches of the session's tenant.
///
/// Upload limits are a property of this handle ([`Batches::with_limits`]) rather than of the
/// engine or the tenant: the host decides them per call site (a web upload and a trusted
/// batch import may differ), and reading them costs no query.
pub struct Batches<'a> {
    s: &'a Session,
    limits: IngestLimits,
}

impl Session {
    /// Batches and their files, with the default [`IngestLimits`].
    pub fn batches(&self) -> Batches<'_> {
        Batches {
            s: self,
            limits: IngestLimits::default(),
        }
    }
}

pub(crate) async fn batch_model<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    batch: Uuid,
    for_update: bool,
) -> Result<batches::Model> {
    let mut q = batches::Entity::find()
        .filter(batches::Column::TenantId.eq(tenant))
        .filter(batches::Column::BatchId.eq(batch))
        .filter(batches::Column::IsDeleted.eq(false));
    if for_update {
        // FOR UPDATE on PostgreSQL; SQLite has no row locks and needs none (one writer).
        q = q.lock_exclusive();
    }
    q.one(conn)
        .await?
        .ok_or_else(|| Error::not_found("batch", batch))
}

/// Adding files is allowed only while a batch is `created`. A closed batch is a
/// `Conflict`: the request is well-formed, the batch's state refuses it.
fn ensure_open(b: &batches::Model) -> Result<()> {
    if b.status == BatchStatus::Created.as_str() {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "batch {} is {}: files can only be added while it is created",
            b.batch_id, b.status
        )))
    }
}

/// An upload once read, without its bytes: what the transaction needs to know.
enum Upload {
    Good {
        sha256: String,
        content_type: ContentType,
    },
    Bad {
        error: IngestError,
        sha256: Option<String>,
    },
}

impl Upload {
    fn sha256(&self) -> Option<&str> {
        match self {
            Upload::Good { sha256, .. } => Some(sha256),
            Upload::Bad { sha256, .. } => sha256.as_deref(),
        }
    }

    fn error(&self) -> Option<&IngestError> {
        match self {
            Upload::Good { .. } => None,
            Upload::Bad { error, .. } => Some(error),
        }
    }

    /// The file of `batch` that adding this upload as `name` would duplicate: same
    /// content, or, for a rejection whose content was never read, same name and same
    /// rejection (so that repeating an `add_dir` adds nothing twice).
    async fn existing<C: ConnectionTrait>(
        &self,
        conn: &C,
        tenant: Uuid,
        batch: Uuid,
        name: &str,
    ) -> Result<Option<files::Model>> {
        let q = files::Entity::find()
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::BatchId.eq(batch));
        let q = match (self.sha256(), self.error()) {
            (Some(sha), _) => q.filter(files::Column::Sha256.eq(sha)),
            (None, error) => q
                .filter(files::Column::Sha256.is_null())
                .filter(files::Column::OriginalName.eq(name))
                .filter(files::Column::ErrorCode.eq(error.map(IngestError::code))),
        };
        Ok(q.order_by_asc(files::Column::CreatedAt)
            .order_by_asc(files::Column::FileId)
            .one(conn)
            .await?)
    }
}

async fn storage_object<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    sha256: &str,
) -> Result<Option<storage_objects::Model>> {
    Ok(storage_objects::Entity::find()
        .filter(storage_objects::Column::TenantId.eq(tenant))
        .filter(storage_objects::Column::Sha256.eq(sha256))
        .one(conn)
        .await?)
}

/// Control characters are replaced (PostgreSQL text cannot hold NUL, and names end up in
/// reports); overly long names are cut.
fn clean_file_name(name: &str) -> Result<String> {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    if cleaned.is_empty() {
        return Err(Error::invalid("a file needs a name"));
    }
    Ok(cleaned)
}

fn clean_batch_name(name: Option<String>) -> Result<Option<String>> {
    let Some(name) = name else { return Ok(None) };
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "a batch name has at most {MAX_NAME_CHARS} characters and no control characters"
        )));
    }
    Ok(Some(name.to_owned()))
}

/// Every regular file under `root` (symbolic links to files included), skipping hidden
/// entries (a name starting with `.`) and not following links to directories (a link
/// cycle cannot loop). Sorted by path, so the result is the same on every run and
/// platform, and when two files hold the same content the first in this order names it.
fn walk(root: &Path) -> Result<Vec<PathBuf>> {
    let unreadable =
        |p: &Path, e: std::io::Error| Error::invalid(format!("cannot read {}: {e}", p.display()));
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| unreadable(&dir, e))? {
            let entry = entry.map_err(|e| unreadable(&dir, e))?;
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| unreadable(&path, e))?;
            if ft.is_dir() {
                dirs.push(path);
            } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

impl<'a> Batches<'a> {
    /// Uses `limits` for the uploads made through this handle.
    pub fn with_limits(mut self, limits: IngestLimits) -> Batches<'a> {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &IngestLimits {
        &self.limits
    }

    /// Creates a batch for a job description of this tenant, at the description's current
    /// version, with a snapshot of the weightage profile.
    pub async fn create(&self, new: NewBatch) -> Result<Batch> {
        self.s.require(Permission::BatchWrite)?;
        let name = clean_batch_name(new.name)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let jd = jd::jd_model(&tx, tenant, new.jd_id).await?;
        let profile = {
            let q = weightage_profiles::Entity::find()
                .filter(weightage_profiles::Column::TenantId.eq(tenant))
                .filter(weightage_profiles::Column::IsDeleted.eq(false));
            match new.weightage_profile_id {
                Some(id) => Some(
                    q.filter(weightage_profiles::Column::ProfileId.eq(id))
                        .one(&tx)
                        .await?
                        .ok_or_else(|| Error::not_found("weightage profile", id))?,
                ),
                None => {
                    q.filter(weightage_profiles::Column::IsDefault.eq(true))
                        .order_by_desc(weightage_profiles::Column::UpdatedAt)
                        .one(&tx)
                        .await?
                }
            }
        };
        let snapshot = profile.as_ref().map(|p| {
            serde_json::json!({
                "profile_id": p.profile_id,
                "name": p.name,
                "weights": p.weights,
                "knockouts": p.knockouts,
                "disagreement_threshold": p.disagreement_threshold,
                "updated_at": p.updated_at,
            })
        });
        let t = now();
        let m = batches::ActiveModel {
            batch_id: Set(new_id()),
            tenant_id: Set(tenant),
            jd_id: Set(jd.jd_id),
            jd_version: Set(jd.version),
            name: Set(name),
            weightage_profile_id: Set(profile.as_ref().map(|p| p.profile_id)),
            weightage_profile: Set(snapshot),
            status: Set(BatchStatus::Created.as_str().into()),
            total_files: Set(0),
            processed_files: Set(0),
            failed_files: Set(0),
            created_by: Set(Some(self.s.actor().user_id)),
            submitted_at: Set(None),
            completed_at: Set(None),
            created_at: Set(t),
            updated_at: Set(t),
            is_deleted: Set(false),
            deleted_at: Set(None),
        };
        let id = *m.batch_id.as_ref();
        batches::Entity::insert(m)
            .exec_without_returning(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "batch.create",
                "batch",
                Some(id),
                serde_json::json!({"jd_id": jd.jd_id, "jd_version": jd.version}),
            )
            .await?;
        let b = batch_model(&tx, tenant, id, false).await?;
        tx.commit().await?;
        b.try_into()
    }

    /// A batch of this tenant; `NotFound` for another tenant's id.
    pub async fn get(&self, batch_id: Uuid) -> Result<Batch> {
        self.s.require(Permission::BatchRead)?;
        let tx = self.s.begin_read().await?;
        let b = batch_model(&tx, self.s.tenant_id(), batch_id, false).await?;
        tx.commit().await?;
        b.try_into()
    }

    /// The tenant's batches, newest first.
    pub async fn list(&self) -> Result<Vec<Batch>> {
        self.s.require(Permission::BatchRead)?;
        let tx = self.s.begin_read().await?;
        let rows = batches::Entity::find()
            .filter(batches::Column::TenantId.eq(self.s.tenant_id()))
            .filter(batches::Column::IsDeleted.eq(false))
            .order_by_desc(batches::Column::CreatedAt)
            .order_by_desc(batches::Column::BatchId)
            .all(&tx)
            .await?;
        tx.commit().await?;
        rows.into_iter().map(Batch::try_from).collect()
    }

    /// The files of a batch, in the order they were added.
    pub async fn files(&self, batch_id: Uuid) -> Result<Vec<BatchFile>> {
        self.s.require(Permission::BatchRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        batch_model(&tx, tenant, batch_id, false).await?;
        let rows = files::Entity::find()
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::BatchId.eq(batch_id))
            .order_by_asc(files::Column::CreatedAt)
            .order_by_asc(files::Column::FileId)
            .all(&tx)
            .await?;
        tx.commit().await?;
        rows.into_iter().map(BatchFile::try_from).collect()
    }

    /// The batch's status and counters.
    pub async fn status(&self, batch_id: Uuid) -> Result<BatchProgress> {
        let b = self.get(batch_id).await?;
        Ok(BatchProgress {
            batch_id: b.batch_id,
            status: b.status,
            total_files: b.total_files,
            processed_files: b.processed_files,
            failed_files: b.failed_files,
            pending_files: b.total_files - b.processed_files - b.failed_files,
        })
    }

    /// Adds a file given as bytes. A `Vec<u8>` is moved, not copied: it becomes the
    /// buffer that is sealed in place and stored.
    ///
    /// Bad content (empty, oversized, unsupported) is not an error of this call: it comes
    /// back as [`Disposition::Rejected`] with a failed file row. Errors are reserved for
    /// the call itself: permission, an unknown batch (`NotFound`), a batch that is no
    /// longer `created` (`Conflict`), storage or database failures.
    pub async fn add_bytes(
        &self,
        batch_id: Uuid,
        name: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<AddedFile> {
        self.s.require(Permission::BatchWrite)?;
        let name = clean_file_name(name)?;
        self.precheck(batch_id).await?;
        let input = input::from_bytes(bytes.into(), &self.limits);
        self.add_input(batch_id, &name, input).await
    }

    /// Adds the file at `path`, named by its last component, read and hashed in one
    /// streaming pass. A path that cannot be read becomes a rejected file
    /// (`unreadable_file`), like bad content.
    pub async fn add_path(&self, batch_id: Uuid, path: impl AsRef<Path>) -> Result<AddedFile> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        self.add_path_named(batch_id, path, &name).await
    }

    async fn add_path_named(&self, batch_id: Uuid, path: &Path, name: &str) -> Result<AddedFile> {
        self.s.require(Permission::BatchWrite)?;
        let name = clean_file_name(name)?;
        self.precheck(batch_id).await?;
        let input = input::from_path(path, &self.limits).await;
        self.add_input(batch_id, &name, input).await
    }

    /// Adds every regular file under `dir`, recursively, skipping hidden files and
    /// directories, in path order; each file is named by its path relative to `dir`
    /// (with `/` separators). Returns one outcome per file, in that order.
    ///
    /// The tree is listed completely before anything is added, so a directory that cannot
    /// be listed fails the call (`InvalidInput`) without a partial batch. Adding is
    /// idempotent, so after any later failure the same call can simply be repeated.
    pub async fn add_dir(
        &self,
        batch_id: Uuid,
        dir: impl AsRef<Path>,
    ) -> Result<Vec<DirEntryAdded>> {
        self.s.require(Permission::BatchWrite)?;
        let root = dir.as_ref().to_path_buf();
        self.precheck(batch_id).await?;
        let paths = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || walk(&root))
                .await
                .map_err(|e| Error::invalid(format!("directory walk failed: {e}")))??
        };
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            let rel = path.strip_prefix(&root).unwrap_or(&path);
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let added = self.add_path_named(batch_id, &path, &name).await?;
            out.push(DirEntryAdded { path, added });
        }
        Ok(out)
    }

    /// Fails early, before any reading or sealing, when the batch is unknown or closed.
    /// The write transaction checks again under the lock; this only spares wasted work.
    async fn precheck(&self, batch_id: Uuid) -> Result<()> {
        let tx = self.s.begin_read().await?;
        let b = batch_model(&tx, self.s.tenant_id(), batch_id, false).await?;
        tx.commit().await?;
        ensure_open(&b)
    }

    async fn add_input(&self, batch_id: Uuid, name: &str, input: Input) -> Result<AddedFile> {
        let tenant = self.s.tenant_id();
        let engine = self.s.engine();
        let size = input.size();
        let (mut bytes, upload) = match input {
            Input::Good {
                bytes,
                sha256,
                content_type,
            } => (
                Some(bytes),
                Upload::Good {
                    sha256,
                    content_type,
                },
            ),
            Input::Bad { error, sha256, .. } => (None, Upload::Bad { error, sha256 }),
        };
        // Cheap checks outside the write lock: an add that is already done costs one read,
        // and content the tenant already stores is not sealed and uploaded again.
        let mut blob_written = {
            let tx = self.s.begin_read().await?;
            let known = upload.existing(&tx, tenant, batch_id, name).await?;
            let live = match &upload {
                Upload::Good { sha256, .. } => storage_object(&tx, tenant, sha256)
                    .await?
                    .is_some_and(|o| !o.is_deleted),
                Upload::Bad { .. } => false,
            };
            tx.commit().await?;
            if let Some(f) = known {
                return Ok(AddedFile {
                    file: f.try_into()?,
                    disposition: Disposition::AlreadyInBatch,
                });
            }
            live
        };
        let key = match &upload {
            Upload::Good { sha256, .. } => Some(store::object_key(
                tenant,
                &engine.content_id(tenant, sha256).await?,
            )),
            Upload::Bad { .. } => None,
        };
        let mut key_id = None;
        // At most two rounds: the second only when the storage object vanished (or was
        // soft-deleted) between the check above and the locked transaction, in which case
        // the blob is written after all.
        loop {
            if let (Some(key), false) = (&key, blob_written) {
                let plain = bytes
                    .take()
                    .expect("bytes are kept until the blob is written");
                key_id = Some(engine.keys().current(tenant).await?.id);
                engine.put_sealed_once(tenant, key, plain).await?;
                blob_written = true;
            }
            let tx = self.s.begin().await?;
            let b = batch_model(&tx, tenant, batch_id, true).await?;
            ensure_open(&b)?;
            if let Some(f) = upload.existing(&tx, tenant, batch_id, name).await? {
                tx.commit().await?;
                return Ok(AddedFile {
                    file: f.try_into()?,
                    disposition: Disposition::AlreadyInBatch,
                });
            }
            let (object, disposition) = match (&upload, &key) {
                (
                    Upload::Good {
                        sha256,
                        content_type,
                    },
                    Some(key),
                ) => {
                    let found = self
                        .object_for(
                            &tx,
                            sha256,
                            *content_type,
                            size,
                            key,
                            key_id.clone(),
                            blob_written,
                        )
                        .await?;
                    match found {
                        Some((o, d)) => (Some(o), d),
                        None => {
                            // The object is gone: write the blob, then try again.
                            tx.rollback().await?;
                            continue;
                        }
                    }
                }
                (Upload::Bad { error, .. }, _) => (
                    None,
                    Disposition::Rejected {
                        error: error.clone(),
                    },
                ),
                (Upload::Good { .. }, None) => unreachable!("good uploads have a key"),
            };
            let t = now();
            let file_id = new_id();
            let (status, error_code, error_text) = match upload.error() {
                Some(e) => (FileStatus::Failed, Some(e.code()), Some(e.to_string())),
                None => (FileStatus::Received, None, None),
            };
            files::Entity::insert(files::ActiveModel {
                file_id: Set(file_id),
                tenant_id: Set(tenant),
                batch_id: Set(batch_id),
                storage_object_id: Set(object.as_ref().map(|o| o.storage_object_id)),
                original_name: Set(name.to_owned()),
                storage_path: Set(object.as_ref().map(|o| o.storage_path.clone())),
                sha256: Set(upload.sha256().map(str::to_owned)),
                size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
                content_type: Set(match &upload {
                    Upload::Good { content_type, .. } => Some(content_type.mime().to_owned()),
                    Upload::Bad { .. } => None,
                }),
                status: Set(status.as_str().into()),
                error_code: Set(error_code.map(str::to_owned)),
                error: Set(error_text.clone()),
                created_at: Set(t),
                updated_at: Set(t),
                // A file rejected here is counted as failed below, in this transaction.
                counted: Set(error_code.is_some()),
            })
            .exec_without_returning(&tx)
            .await?;
            let mut counters = batches::Entity::update_many()
                .col_expr(
                    batches::Column::TotalFiles,
                    Expr::col(batches::Column::TotalFiles).add(1),
                )
                .col_expr(batches::Column::UpdatedAt, Expr::value(t));
            if error_code.is_some() {
                counters = counters.col_expr(
                    batches::Column::FailedFiles,
                    Expr::col(batches::Column::FailedFiles).add(1),
                );
            }
            counters
                .filter(batches::Column::TenantId.eq(tenant))
                .filter(batches::Column::BatchId.eq(batch_id))
                .exec(&tx)
                .await?;
            if let (Some(code), Some(text)) = (error_code, &error_text) {
                audit::record_error(
                    &tx,
                    tenant,
                    Some(batch_id),
                    Some(file_id),
                    None,
                    code,
                    text,
                    serde_json::json!({"size": size}),
                )
                .await?;
            }
            self.s
                .audit(
                    &tx,
                    "file.add",
                    "file",
                    Some(file_id),
                    serde_json::json!({
                        "batch_id": batch_id,
                        "status": status.as_str(),
                        "error_code": error_code,
                        "storage_object_id": object.as_ref().map(|o| o.storage_object_id),
                    }),
                )
                .await?;
            let row = files::Entity::find()
                .filter(files::Column::TenantId.eq(tenant))
                .filter(files::Column::FileId.eq(file_id))
                .one(&tx)
                .await?
                .ok_or_else(|| Error::not_found("file", file_id))?;
            tx.commit().await?;
            return Ok(AddedFile {
                file: row.try_into()?,
                disposition,
            });
        }
    }

    /// The live storage object of `sha` in the tenant, inserting it if missing. `None` when
    /// it is missing (or soft-deleted) and this add has not written the blob: the caller
    /// writes it and retries, so that no row ever points at a missing blob.
    #[allow(clippy::too_many_arguments)]
    async fn object_for(
        &self,
        tx: &DatabaseTransaction,
        sha: &str,
        content_type: ContentType,
        size: u64,
        key: &str,
        key_id: Option<String>,
        blob_written: bool,
    ) -> Result<Option<(storage_objects::Model, Disposition)>> {
        let tenant = self.s.tenant_id();
        if let Some(o) = storage_object(tx, tenant, sha).await? {
            if !o.is_deleted {
                return Ok(Some((o, Disposition::Deduplicated)));
            }
            if !blob_written {
                return Ok(None);
            }
            // Soft-deleted content uploaded again: bring the row back (its blob was
            // just rewritten, or still existed).
            storage_objects::Entity::update_many()
                .col_expr(storage_objects::Column::IsDeleted, Expr::value(false))
                .col_expr(
                    storage_objects::Column::DeletedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .filter(storage_objects::Column::TenantId.eq(tenant))
                .filter(storage_objects::Column::StorageObjectId.eq(o.storage_object_id))
                .exec(tx)
                .await?;
            let o = storage_object(tx, tenant, sha)
                .await?
                .ok_or_else(|| Error::not_found("storage object", sha))?;
            return Ok(Some((o, Disposition::Stored)));
        }
        if !blob_written {
            return Ok(None);
        }
        let inserted = storage_objects::Entity::insert(storage_objects::ActiveModel {
            storage_object_id: Set(new_id()),
            tenant_id: Set(tenant),
            sha256: Set(sha.to_owned()),
            size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
            content_type: Set(content_type.mime().to_owned()),
            storage_path: Set(key.to_owned()),
            key_id: Set(key_id),
            created_at: Set(now()),
            is_deleted: Set(false),
            deleted_at: Set(None),
        })
        // A concurrent upload of the same content (to another batch: adds to one batch
        // are serialised) may have inserted it since we looked: the unique key decides.
        .on_conflict_do_nothing_on([
            storage_objects::Column::TenantId,
            storage_objects::Column::Sha256,
        ])
        .exec_without_returning(tx)
        .await?;
        let disposition = match inserted {
            TryInsertResult::Inserted(n) if n > 0 => Disposition::Stored,
            _ => Disposition::Deduplicated,
        };
        let o = storage_object(tx, tenant, sha)
            .await?
            .ok_or_else(|| Error::not_found("storage object", sha))?;
        Ok(Some((o, disposition)))
    }

    /// Submits a batch: enqueues one `process_file` job per accepted file, marks those
    /// files `queued` and the batch `processing`. A batch whose every file was rejected
    /// completes at once; a batch without files is refused (`InvalidInput`); a batch
    /// that is not `created` is a `Conflict`.
    pub async fn submit(&self, batch_id: Uuid) -> Result<Batch> {
        self.s.require(Permission::BatchWrite)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let b = batch_model(&tx, tenant, batch_id, true).await?;
        if b.status != BatchStatus::Created.as_str() {
            return Err(Error::Conflict(format!(
                "batch {batch_id} is {}: only a created batch can be submitted",
                b.status
            )));
        }
        if b.total_files == 0 {
            return Err(Error::invalid(format!("batch {batch_id} has no files")));
        }
        let accepted: Vec<Uuid> = files::Entity::find()
            .select_only()
            .column(files::Column::FileId)
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::BatchId.eq(batch_id))
            .filter(files::Column::Status.eq(FileStatus::Received.as_str()))
            .order_by_asc(files::Column::CreatedAt)
            .order_by_asc(files::Column::FileId)
            .into_tuple()
            .all(&tx)
            .await?;
        let t = now();
        let mut update = batches::Entity::update_many()
            .col_expr(batches::Column::SubmittedAt, Expr::value(t))
            .col_expr(batches::Column::UpdatedAt, Expr::value(t));
        if accepted.is_empty() {
            update = update
                .col_expr(
                    batches::Column::Status,
                    Expr::value(BatchStatus::Completed.as_str()),
                )
                .col_expr(batches::Column::CompletedAt, Expr::value(t));
        } else {
            let jobs: Vec<crate::queue::NewJob> = accepted
                .iter()
                .map(|&f| crate::queue::NewJob {
                    tenant_id: tenant,
                    kind: PROCESS_FILE.into(),
                    batch_id: Some(batch_id),
                    file_id: Some(f),
                    payload: serde_json::json!({}),
                    priority: 100,
                    run_at: None,
                    max_attempts: 5,
                })
                .collect();
            crate::queue::enqueue(&tx, &jobs).await?;
            files::Entity::update_many()
                .col_expr(
                    files::Column::Status,
                    Expr::value(FileStatus::Queued.as_str()),
                )
                .col_expr(files::Column::UpdatedAt, Expr::value(t))
                .filter(files::Column::TenantId.eq(tenant))
                .filter(files::Column::BatchId.eq(batch_id))
                .filter(files::Column::Status.eq(FileStatus::Received.as_str()))
                .exec(&tx)
                .await?;
            update = update.col_expr(
                batches::Column::Status,
                Expr::value(BatchStatus::Processing.as_str()),
            );
        }
        update
            .filter(batches::Column::TenantId.eq(tenant))
            .filter(batches::Column::BatchId.eq(batch_id))
            .exec(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "batch.submit",
                "batch",
                Some(batch_id),
                serde_json::json!({"jobs": accepted.len(), "files": b.total_files}),
            )
            .await?;
        let b = batch_model(&tx, tenant, batch_id, false).await?;
        tx.commit().await?;
        b.try_into()
    }

    /// Cancels a batch that is `created` or `processing`, and its queued and running jobs
    /// (a worker holding one loses its lease and drops its result). Cancelling a cancelled
    /// batch changes nothing; a completed or failed batch is a `Conflict`.
    pub async fn cancel(&self, batch_id: Uuid) -> Result<Batch> {
        self.s.require(Permission::BatchWrite)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let b = batch_model(&tx, tenant, batch_id, true).await?;
        match b.status.parse::<BatchStatus>()? {
            BatchStatus::Cancelled => {
                tx.commit().await?;
                return b.try_into();
            }
            s @ (BatchStatus::Completed | BatchStatus::Failed) => {
                return Err(Error::Conflict(format!(
                    "batch {batch_id} is {}: it can no longer be cancelled",
                    s.as_str()
                )));
            }
            BatchStatus::Created | BatchStatus::Processing => {}
        }
        let t = now();
        batches::Entity::update_many()
            .col_expr(
                batches::Column::Status,
                Expr::value(BatchStatus::Cancelled.as_str()),
            )
            .col_expr(batches::Column::CompletedAt, Expr::value(t))
            .col_expr(batches::Column::UpdatedAt, Expr::value(t))
            .filter(batches::Column::TenantId.eq(tenant))
            .filter(batches::Column::BatchId.eq(batch_id))
            .exec(&tx)
            .await?;
        let jobs = crate::queue::cancel_batch(&tx, tenant, batch_id).await?;
        self.s
            .audit(
                &tx,
                "batch.cancel",
                "batch",
                Some(batch_id),
                serde_json::json!({"from": b.status, "jobs_cancelled": jobs}),
            )
            .await?;
        let b = batch_model(&tx, tenant, batch_id, false).await?;
        tx.commit().await?;
        b.try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            BatchStatus::Created,
            BatchStatus::Processing,
            BatchStatus::Completed,
            BatchStatus::Failed,
            BatchStatus::Cancelled,
        ] {
            assert_eq!(s.as_str().parse::<BatchStatus>().unwrap(), s);
            assert_eq!(
                s.is_terminal(),
                !matches!(s, BatchStatus::Created | BatchStatus::Processing)
            );
        }
        for s in [
            FileStatus::Received,
            FileStatus::Queued,
            FileStatus::Processing,
            FileStatus::Completed,
            FileStatus::Failed,
        ] {
            assert_eq!(s.as_str().parse::<FileStatus>().unwrap(), s);
        }
        assert!("done".parse::<BatchStatus>().is_err());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_file_name(" cv\0.pdf ").unwrap(), "cv\u{FFFD}.pdf");
        assert!(clean_file_name("  ").is_err());
        assert_eq!(
            clean_file_name(&"x".repeat(5000)).unwrap().len(),
            MAX_FILE_NAME_CHARS
        );
        assert_eq!(clean_batch_name(Some("  ".into())).unwrap(), None);
        assert!(clean_batch_name(Some("a\nb".into())).is_err());
    }

    #[test]
    fn walk_is_sorted_recursive_and_skips_hidden() {
        let root = std::env::temp_dir().join(format!("rf-walk-{}", Uuid::now_v7()));
        for p in ["b/z.txt", "b/a.txt", "a.txt", ".hidden/x.txt", "c/.secret"] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        let got: Vec<String> = walk(&root)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(got, ["a.txt", "b/a.txt", "b/z.txt"]);
        assert!(matches!(
            walk(&root.join("missing")),
            Err(Error::InvalidInput(_))
        ));
        std::fs::remove_dir_all(root).ok();
    }
}
