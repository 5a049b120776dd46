//! sea-orm entities of this module's tables: data only.

pub mod employer_aliases;
pub mod employer_departments;
pub mod employer_projects;
pub mod employer_roles;
pub mod employers;
