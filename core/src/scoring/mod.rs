//! Scoring: weightage profiles, local and AI scores, resolutions.

pub mod entity;
pub mod matcher;
