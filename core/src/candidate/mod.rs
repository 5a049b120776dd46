//! Candidates: the parsed resume model, parsers, validation, and their tables.

pub mod entity;
