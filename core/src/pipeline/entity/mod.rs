//! sea-orm entities of this module's tables: data only.

pub mod checkpoints;
