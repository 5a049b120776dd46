//! Batches of resume files: create, add files (Buffers, paths, directories), submit,
//! cancel, follow progress.

use napi::Env;
use napi::bindgen_prelude::{AsyncBlock, Buffer};
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::{BindResult, convert, convert_all, input, promise, uuid};

/// A batch's state: `created` → `processing` → `completed` | `failed` | `cancelled`.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    Created,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

/// A file's state in its batch.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Received,
    Queued,
    Processing,
    Completed,
    Failed,
}

/// A format resumeflow reads, by content (never by file name).
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Pdf,
    Docx,
    Doc,
    Rtf,
    Html,
    Text,
}

/// A batch: files screened against one version of a job description.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub batch_id: String,
    pub tenant_id: String,
    pub jd_id: String,
    /// The JD version the batch is scored against (fixed at creation).
    pub jd_version: i32,
    pub name: Option<String>,
    pub weightage_profile_id: Option<String>,
    /// The profile's stored form when the batch was created, which the batch keeps
    /// scoring with: `{ profile_id, name, weights: { components, scorers, knockout_cap },
    /// knockouts, disagreement_threshold }` (snake_case, as stored). Absent when the
    /// tenant had no default profile (the built-in one applies).
    #[napi(ts_type = "Record<string, unknown>")]
    pub weightage_profile: Option<serde_json::Value>,
    pub status: BatchStatus,
    pub total_files: i32,
    pub processed_files: i32,
    pub failed_files: i32,
    pub created_by: Option<String>,
    pub submitted_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Progress counters of a batch.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchProgress {
    pub batch_id: String,
    pub status: BatchStatus,
    pub total_files: i32,
    /// Files processed successfully.
    pub processed_files: i32,
    /// Files rejected at upload or failed in processing.
    pub failed_files: i32,
    /// Files neither processed nor failed yet.
    pub pending_files: i32,
}

/// One upload in a batch.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchFile {
    pub file_id: String,
    pub batch_id: String,
    /// The stored content (absent for a rejected upload).
    pub storage_object_id: Option<String>,
    pub original_name: String,
    pub sha256: Option<String>,
    pub size: i64,
    pub content_type: Option<ContentType>,
    pub status: FileStatus,
    /// Why the file failed: `empty_file`, `file_too_large`, `unsupported_type`,
    /// `unreadable_file`, or a pipeline error code.
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What adding a file did.
#[napi(string_enum = "snake_case")]
#[derive(Debug)]
pub enum Disposition {
    /// New content for the tenant.
    Stored,
    /// The tenant had this content already; the file points at it.
    Deduplicated,
    /// The batch already held this content; nothing changed.
    AlreadyInBatch,
    /// The upload was rejected (see `rejection`); it is a failed file of the batch.
    Rejected,
}

/// Why an upload was rejected.
#[napi(object)]
#[derive(Debug)]
pub struct Rejection {
    /// `empty_file`, `file_too_large`, `unsupported_type` or `unreadable_file`.
    pub code: String,
    pub message: String,
}

/// The file row an add produced (or found), and what the add did. Bad content is not an
/// error of the call: it comes back as `rejected`, and the rest of the batch goes on.
#[napi(object)]
#[derive(Debug)]
pub struct AddedFile {
    pub file: BatchFile,
    pub disposition: Disposition,
    pub rejection: Option<Rejection>,
}

fn added(a: resumeflow::AddedFile) -> BindResult<AddedFile> {
    let (disposition, rejection) = match a.disposition {
        resumeflow::Disposition::Stored => (Disposition::Stored, None),
        resumeflow::Disposition::Deduplicated => (Disposition::Deduplicated, None),
        resumeflow::Disposition::AlreadyInBatch => (Disposition::AlreadyInBatch, None),
        resumeflow::Disposition::Rejected { error } => (
            Disposition::Rejected,
            Some(Rejection {
                code: error.code().to_owned(),
                message: error.to_string(),
            }),
        ),
    };
    Ok(AddedFile {
        file: convert(a.file)?,
        disposition,
        rejection,
    })
}

/// One file found under a directory, and what adding it did.
#[napi(object)]
#[derive(Debug)]
pub struct DirEntryAdded {
    pub path: String,
    pub added: AddedFile,
}

/// A new batch.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct NewBatch {
    /// The job description; the batch is scored against its current version.
    pub jd_id: String,
    pub name: Option<String>,
    /// The weightage profile (the tenant's default when absent).
    pub weightage_profile_id: Option<String>,
}

/// The batches of the session's tenant (`batch_read`, `batch_write`).
#[napi]
pub struct Batches {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Batches {
    #[napi]
    pub fn create(&self, env: &Env, batch: NewBatch) -> napi::Result<AsyncBlock<Batch>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.batches().create(input(batch)?).await?)
        })
    }

    #[napi]
    pub fn get(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<Batch>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.batches().get(uuid("batchId", &batch_id)?).await?)
        })
    }

    #[napi]
    pub fn list(&self, env: &Env) -> napi::Result<AsyncBlock<Vec<Batch>>> {
        let s = self.session.clone();
        promise(env, async move { convert_all(s.batches().list().await?) })
    }

    /// The batch's files, in the order they were added.
    #[napi]
    pub fn files(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<Vec<BatchFile>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.batches().files(uuid("batchId", &batch_id)?).await?)
        })
    }

    #[napi]
    pub fn status(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<BatchProgress>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.batches().status(uuid("batchId", &batch_id)?).await?)
        })
    }

    /// Adds a file from memory. Idempotent: the same content twice is one file.
    #[napi]
    pub fn add_bytes(
        &self,
        env: &Env,
        batch_id: String,
        name: String,
        data: Buffer,
    ) -> napi::Result<AsyncBlock<AddedFile>> {
        let s = self.session.clone();
        let bytes = data.to_vec();
        promise(env, async move {
            let id = uuid("batchId", &batch_id)?;
            added(s.batches().add_bytes(id, &name, bytes).await?)
        })
    }

    /// Adds the file at `path`, named by its last component. An unreadable path is a
    /// rejected file, not an error.
    #[napi]
    pub fn add_path(
        &self,
        env: &Env,
        batch_id: String,
        path: String,
    ) -> napi::Result<AsyncBlock<AddedFile>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("batchId", &batch_id)?;
            added(s.batches().add_path(id, &path).await?)
        })
    }

    /// Adds every regular file under `dir` (recursively, hidden files skipped), in path
    /// order, each named by its path relative to `dir`.
    #[napi]
    pub fn add_dir(
        &self,
        env: &Env,
        batch_id: String,
        dir: String,
    ) -> napi::Result<AsyncBlock<Vec<DirEntryAdded>>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("batchId", &batch_id)?;
            s.batches()
                .add_dir(id, &dir)
                .await?
                .into_iter()
                .map(|e| {
                    Ok(DirEntryAdded {
                        path: e.path.to_string_lossy().into_owned(),
                        added: added(e.added)?,
                    })
                })
                .collect()
        })
    }

    /// Queues one pipeline job per file; a worker then processes them.
    #[napi]
    pub fn submit(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<Batch>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.batches().submit(uuid("batchId", &batch_id)?).await?)
        })
    }

    /// Cancels the batch's queued jobs; finished results stay.
    #[napi]
    pub fn cancel(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<Batch>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.batches().cancel(uuid("batchId", &batch_id)?).await?)
        })
    }
}
