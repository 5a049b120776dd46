//! Pipeline jobs: their checkpointed steps, and replay from a step.

use napi_derive::napi;
use serde::{Deserialize, Serialize};

/// A pipeline step, in order.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Extract,
    Parse,
    Validate,
    Score,
}

impl Step {
    pub fn as_str(&self) -> &'static str {
        match self {
            Step::Extract => "extract",
            Step::Parse => "parse",
            Step::Validate => "validate",
            Step::Score => "score",
        }
    }
}

/// A job's state: `queued`, `in_progress`, `completed`, `failed` or `cancelled`.
#[napi(string_enum = "snake_case")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    InProgress,
    Completed,
    Failed,
    Cancelled,
}

/// A pipeline job and the steps it has checkpointed.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct JobSteps {
    pub job_id: String,
    pub file_id: Option<String>,
    pub status: JobStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Checkpointed steps, in pipeline order.
    pub steps: Vec<Step>,
}

/// What a replay did.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct JobReplay {
    pub job_id: String,
    pub tenant_id: String,
    /// The checkpoints dropped (the step named and those after it).
    pub dropped_steps: Vec<Step>,
}
