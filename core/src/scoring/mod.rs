//! Scoring: the deterministic matcher, the AI scorer, weightage profiles and the
//! resolution of both into a ranked result.
#![doc = include_str!("../../../docs/scoring.md")]

pub mod ai;
pub mod entity;
pub mod matcher;
pub mod persist;
pub mod resolve;

pub use ai::{AiScore, AiVerdict, Verdict};
pub use matcher::{LocalScore, Weights};
pub use persist::{Evidence, Profile, Profiles, RankedResult, ScoreOutcome, Scoring};
pub use resolve::{Knockout, Resolution, ScorerWeights, WeightageProfile};
