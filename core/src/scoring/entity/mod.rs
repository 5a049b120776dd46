//! sea-orm entities of this module's tables: data only.

pub mod ai_scores;
pub mod local_match_scores;
pub mod score_resolutions;
pub mod weightage_profiles;
