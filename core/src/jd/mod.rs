//! Job descriptions: versions, skills and requirements.

pub mod entity;
