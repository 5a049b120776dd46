//! Ingestion: batches, uploaded files and content-addressed storage objects.

pub mod entity;
