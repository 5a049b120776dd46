//! Weightage profiles, ranked results and the evidence behind every score.

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::{BindResult, convert, convert_all, input, promise, uuid};

/// Relative weights of the local matcher's components.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Weights {
    pub must_have: f64,
    pub nice_to_have: f64,
    pub experience: f64,
    pub education: f64,
    pub keywords: f64,
    pub patterns: f64,
}

/// How much each scorer counts in the final score (relative).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct ScorerWeights {
    pub local: f64,
    pub ai: f64,
}

/// A knock-out rule: a candidate who fails it has the final score capped.
#[napi(discriminant = "rule", discriminant_case = "snake_case")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Knockout {
    /// A keyword or regex requirement the job marks mandatory is not met.
    MandatoryRequirements,
    /// Must-have skill coverage (0–100) below `min`.
    MustHaveCoverage { min: f64 },
    /// Fewer years of relevant experience than the job's minimum.
    MinYears,
    /// A lower education level than the job's minimum.
    MinEducation,
}

/// The weights and rules a tenant scores with.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct WeightageProfile {
    pub name: String,
    /// Weights of the local matcher's components.
    pub components: Weights,
    pub scorers: ScorerWeights,
    pub knockouts: Vec<Knockout>,
    /// The highest final score a knocked-out candidate can have.
    pub knockout_cap: f64,
    /// Points of local/AI disagreement above which a result needs review.
    pub disagreement_threshold: f64,
}

/// A weightage profile to save; absent fields take the defaults (components must-have
/// 0.45, experience 0.30, ...; scorers 0.5 / 0.5; knock-out on mandatory requirements,
/// capped at 40; review above 25 points of disagreement).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct WeightageProfileInput {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Weights>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scorers: Option<ScorerWeights>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knockouts: Option<Vec<Knockout>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knockout_cap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagreement_threshold: Option<f64>,
}

/// A stored weightage profile.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Profile {
    pub profile_id: String,
    pub is_default: bool,
    pub profile: WeightageProfile,
    pub created_at: String,
    pub updated_at: String,
}

/// One ranked result with the reasons behind its score.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct RankedResult {
    pub result_id: String,
    pub batch_id: String,
    pub jd_id: String,
    pub jd_version: i32,
    pub resume_id: String,
    /// 1 is best; absent until the batch is ranked.
    pub rank: Option<i32>,
    /// 0–100.
    pub final_score: f64,
    pub local_score: f64,
    /// Absent when the AI scorer did not run or failed.
    pub ai_score: Option<f64>,
    /// The scorers disagree, or the resume is flagged: a human should look.
    pub needs_review: bool,
    pub knocked_out: bool,
    pub flags: Vec<String>,
    pub matched: Vec<String>,
    pub missing: Vec<String>,
    pub reasons: Vec<String>,
    pub ai_rationale: Option<String>,
    pub file_names: Vec<String>,
    pub file_ids: Vec<String>,
    /// Only for sessions with `candidate_pii_read`.
    pub candidate_name: Option<String>,
}

/// What scoring one resume did.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct ScoreOutcome {
    pub resume_id: String,
    pub result_id: String,
    pub final_score: f64,
    pub local_score: f64,
    pub ai_score: Option<f64>,
    pub needs_review: bool,
    pub knocked_out: bool,
    /// Calls made to the model (0 when cached).
    pub llm_calls: u32,
}

/// One requirement and what in the resume met it.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct EvidenceItem {
    pub requirement: String,
    /// The resume text that matched, as printed; absent when nothing did.
    pub matched: Option<String>,
    pub note: String,
}

/// A scored component of the local matcher.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Component {
    /// `must_have`, `nice_to_have`, `experience`, `education`, `keywords` or `patterns`.
    pub name: String,
    /// 0–100.
    pub score: f64,
    pub weight: f64,
    pub evidence: Vec<EvidenceItem>,
}

/// The model's judgement of one requirement.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Met,
    Partial,
    Missing,
}

/// One requirement, judged by the model.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct AiVerdict {
    pub id: String,
    pub kind: String,
    pub requirement: String,
    pub verdict: Verdict,
    /// The model's quote from the resume.
    pub quote: Option<String>,
    /// Whether the quote occurs in the resume text.
    pub quote_found: bool,
}

/// The AI scorer's checked answer.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct AiScore {
    /// The model's overall score, 0–100.
    pub score: f64,
    /// The score the verdicts support, 0–100.
    pub verdict_score: f64,
    pub rationale: String,
    pub verdicts: Vec<AiVerdict>,
    /// `hallucinated quote: …`, `inconsistent overall score: …`, `no quote: …`.
    pub flags: Vec<String>,
    pub model: String,
}

/// Whether the AI scorer's answer was used.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AiStatus {
    Ok,
    Invalid,
    Failed,
}

/// Everything behind one result.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Evidence {
    pub final_score: f64,
    /// The local matcher's components with their evidence.
    pub local_components: Vec<Component>,
    pub ai: Option<AiScore>,
    /// Set when the AI scorer ran.
    pub ai_status: Option<AiStatus>,
    /// Scores, matched and missing requirements and reasons, as resolved.
    #[napi(ts_type = "Record<string, unknown>")]
    pub resolution: serde_json::Value,
    /// The profile and JD version used.
    #[napi(ts_type = "Record<string, unknown>")]
    pub policy: serde_json::Value,
}

fn profile_input(p: WeightageProfileInput) -> BindResult<resumeflow::WeightageProfile> {
    input(p)
}

/// The tenant's weightage profiles (`profile_read`, `profile_manage`).
#[napi]
pub struct Profiles {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Profiles {
    /// Saves a profile; `makeDefault` makes it the tenant's default.
    #[napi]
    pub fn create(
        &self,
        env: &Env,
        profile: WeightageProfileInput,
        make_default: Option<bool>,
    ) -> napi::Result<AsyncBlock<Profile>> {
        let s = self.session.clone();
        promise(env, async move {
            let p = profile_input(profile)?;
            convert(
                s.profiles()
                    .create(p, make_default.unwrap_or(false))
                    .await?,
            )
        })
    }

    /// Replaces a profile's weights and rules (batches keep the copy they were made with).
    #[napi]
    pub fn update(
        &self,
        env: &Env,
        profile_id: String,
        profile: WeightageProfileInput,
    ) -> napi::Result<AsyncBlock<Profile>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("profileId", &profile_id)?;
            convert(s.profiles().update(id, profile_input(profile)?).await?)
        })
    }

    #[napi]
    pub fn set_default(&self, env: &Env, profile_id: String) -> napi::Result<AsyncBlock<Profile>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(
                s.profiles()
                    .set_default(uuid("profileId", &profile_id)?)
                    .await?,
            )
        })
    }

    #[napi]
    pub fn get(&self, env: &Env, profile_id: String) -> napi::Result<AsyncBlock<Profile>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.profiles().get(uuid("profileId", &profile_id)?).await?)
        })
    }

    #[napi]
    pub fn list(&self, env: &Env) -> napi::Result<AsyncBlock<Vec<Profile>>> {
        let s = self.session.clone();
        promise(env, async move { convert_all(s.profiles().list().await?) })
    }

    /// The tenant's default profile, or the built-in one when none is set.
    #[napi]
    pub fn effective_default(&self, env: &Env) -> napi::Result<AsyncBlock<WeightageProfile>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.profiles().effective_default().await?)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete(&self, env: &Env, profile_id: String) -> napi::Result<AsyncBlock<()>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(s.profiles().delete(uuid("profileId", &profile_id)?).await?)
        })
    }
}

/// Results and evidence (`report_read`), rescoring and ranking (`report_write`).
#[napi]
pub struct Scoring {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Scoring {
    /// The batch's results, best first: the report.
    #[napi]
    pub fn results(
        &self,
        env: &Env,
        batch_id: String,
    ) -> napi::Result<AsyncBlock<Vec<RankedResult>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.scoring().results(uuid("batchId", &batch_id)?).await?)
        })
    }

    /// Everything behind the result of one resume in a batch.
    #[napi]
    pub fn evidence(
        &self,
        env: &Env,
        batch_id: String,
        resume_id: String,
    ) -> napi::Result<AsyncBlock<Evidence>> {
        let s = self.session.clone();
        promise(env, async move {
            let batch = uuid("batchId", &batch_id)?;
            let resume = uuid("resumeId", &resume_id)?;
            convert(s.scoring().evidence(batch, resume).await?)
        })
    }

    /// Scores one resume of a batch again (cached model answers are reused).
    #[napi]
    pub fn score_resume(
        &self,
        env: &Env,
        batch_id: String,
        resume_id: String,
    ) -> napi::Result<AsyncBlock<ScoreOutcome>> {
        let s = self.session.clone();
        promise(env, async move {
            let batch = uuid("batchId", &batch_id)?;
            let resume = uuid("resumeId", &resume_id)?;
            convert(s.scoring().score_resume(batch, resume).await?)
        })
    }

    /// Ranks the batch's results again; resolves with the number ranked.
    #[napi]
    pub fn rank(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<u32>> {
        let s = self.session.clone();
        promise(env, async move {
            let n = s.scoring().rank(uuid("batchId", &batch_id)?).await?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }
}
