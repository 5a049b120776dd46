//! sea-orm entities of this module's tables: data only.

pub mod batches;
pub mod files;
pub mod storage_objects;
