//! sea-orm entities of this module's tables: data only.

pub mod audit_logs;
pub mod error_logs;
