//! Employers: canonical names, departments, roles and projects per tenant.

pub mod canon;
pub mod entity;
pub mod title;
