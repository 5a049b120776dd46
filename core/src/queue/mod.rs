//! The job queue: jobs, workers and heartbeats.

pub mod entity;
