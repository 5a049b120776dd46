//! Candidates: the parsed resume model, parsers, validation, and their tables.

pub mod dates;
pub mod entity;
pub mod heuristic;
pub mod lexicon;
pub mod llm_parser;
pub mod model;
pub mod normalize;
pub mod persist;
pub mod taxonomy;
pub mod validate;
pub use persist::{Candidate, Candidates, Contacts, EducationEntry, Experience};
pub use validate::{DocumentParse, Validated, current_month, parse_document, validate};
