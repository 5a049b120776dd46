//! sea-orm entities of this module's tables: data only.

pub mod report_rows;
pub mod reports;
pub mod results;
