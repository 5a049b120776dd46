//! Ingestion: batches, uploaded files and content-addressed storage objects.
//!
//! A file added to a batch is read once (streaming SHA-256 for paths), sniffed, checked
//! against [`IngestLimits`], sealed with the tenant's key and written once to the store
//! under a key derived from its content; `storage_objects` holds one row per tenant and
//! content, `files` one row per upload into a batch. Bad input becomes a failed file row
//! with a stable [`IngestError::code`], never a failed batch. See `docs/ingestion.md`.

/// The code samples of `docs/ingestion.md`, compiled as doctests so the page cannot rot.
#[doc = include_str!("../../../docs/ingestion.md")]
#[cfg(doctest)]
pub struct IngestionDoctests;

mod batches;
pub mod entity;
mod input;
mod sniff;

pub(crate) use batches::batch_model;
pub use batches::{
    AddedFile, Batch, BatchFile, BatchProgress, BatchStatus, Batches, DirEntryAdded, Disposition,
    FileStatus, NewBatch, PROCESS_FILE,
};
pub use input::{IngestError, IngestLimits};
pub use sniff::{ContentType, sniff};
