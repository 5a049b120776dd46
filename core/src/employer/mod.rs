//! Employers: canonical names, departments, roles and projects per tenant.

pub mod entity;
