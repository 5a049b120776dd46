//! sea-orm entities of this module's tables: data only.

pub mod jobs;
pub mod worker_heartbeats;
pub mod workers;
