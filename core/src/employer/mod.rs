//! Employers: canonical names, departments, roles and projects per tenant.
//!
//! `canon` and `title` are pure logic (names and titles in, keys and levels out);
//! `persist` links every resume experience to the tenant's rows and holds the session's
//! employer queries and decisions ([`Employers`]).

pub mod canon;
pub mod entity;
pub(crate) mod index;
pub mod persist;
pub mod title;

pub use persist::{
    AliasKind, CandidateHit, Employer, EmployerAlias, Employers, LinkedExperience, RelinkReport,
};
pub use title::Seniority;
