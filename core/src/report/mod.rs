//! Results, reports and report rows.

pub mod entity;
