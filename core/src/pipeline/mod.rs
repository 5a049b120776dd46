//! The pipeline's step checkpoints.

pub mod entity;
