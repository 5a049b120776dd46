//! sea-orm entities of this module's tables: data only.

pub mod jd_requirements;
pub mod jd_skills;
pub mod jd_versions;
pub mod job_descriptions;
