//! sea-orm entities of this module's tables: data only.

pub mod resume_contacts;
pub mod resume_education;
pub mod resume_experiences;
pub mod resume_projects;
pub mod resume_skills;
pub mod resume_technologies;
pub mod resumes;
