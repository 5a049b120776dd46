//! Scores in the database: weightage profiles, the scoring of one resume for a batch
//! (local, AI, resolution and result rows in one transaction), ranking, and the results
//! a session reads.
//!
//! Artifacts: the AI scorer's canonical JSON is sealed beside the resume's own artifacts,
//! at `t/{tenant}/resumes/{resume}/score-{jd}-v{version}-{model}.json` (one directory per
//! resume on a file store, and everything of a resume under one prefix); every raw answer of the
//! model is in the LLM cache at `t/{tenant}/llm/{request hash}.json`, and `ai_scores`
//! points at the answer that was accepted (or the last one rejected).

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ai::{self, AiScore, AiStatus};
use super::entity::{ai_scores, local_match_scores, score_resolutions, weightage_profiles};
use super::matcher::{self, Component, LocalScore};
use super::resolve::{self, Resolution, WeightageProfile};
use crate::candidate::entity::{resume_contacts, resumes};
use crate::candidate::model::{ParsedResume, YearMonth};
use crate::db::{Scope, new_id, now};
use crate::engine::{Engine, Session};
use crate::error::{Error, Result};
use crate::ingest::entity::files;
use crate::jd::{criteria_of, version_model};
use crate::llm::{CachedLlm, LlmClient, cache_key, request_hash};
use crate::report::entity::results;
use crate::tenancy::Permission;

// ---------------------------------------------------------------------------------------
// Weightage profiles

/// A stored weightage profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub profile_id: Uuid,
    pub is_default: bool,
    pub profile: WeightageProfile,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The `weights` column: component and scorer weights and the knock-out cap.
fn weights_json(p: &WeightageProfile) -> serde_json::Value {
    serde_json::json!({
        "components": p.components,
        "scorers": p.scorers,
        "knockout_cap": p.knockout_cap,
    })
}

/// A profile from its columns (or from a batch's snapshot of them).
fn profile_of(
    name: &str,
    weights: &serde_json::Value,
    knockouts: &serde_json::Value,
    threshold: f64,
) -> Result<WeightageProfile> {
    let d = WeightageProfile::default();
    let bad = |e: serde_json::Error| Error::invalid(format!("weightage profile {name:?}: {e}"));
    Ok(WeightageProfile {
        name: name.to_owned(),
        components: match weights.get("components") {
            Some(c) => serde_json::from_value(c.clone()).map_err(bad)?,
            None => d.components,
        },
        scorers: match weights.get("scorers") {
            Some(c) => serde_json::from_value(c.clone()).map_err(bad)?,
            None => d.scorers,
        },
        knockout_cap: weights
            .get("knockout_cap")
            .and_then(|v| v.as_f64())
            .unwrap_or(d.knockout_cap),
        knockouts: serde_json::from_value(knockouts.clone()).map_err(bad)?,
        disagreement_threshold: threshold,
    })
}

impl TryFrom<weightage_profiles::Model> for Profile {
    type Error = Error;
    fn try_from(m: weightage_profiles::Model) -> Result<Self> {
        Ok(Profile {
            profile: profile_of(&m.name, &m.weights, &m.knockouts, m.disagreement_threshold)?,
            profile_id: m.profile_id,
            is_default: m.is_default,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// The profile a batch scores with: its snapshot, or the built-in default.
pub(crate) fn batch_profile(snapshot: Option<&serde_json::Value>) -> Result<WeightageProfile> {
    match snapshot {
        None => Ok(WeightageProfile::default()),
        Some(s) => profile_of(
            s["name"].as_str().unwrap_or("snapshot"),
            &s["weights"],
            &s["knockouts"],
            s["disagreement_threshold"].as_f64().unwrap_or(25.0),
        ),
    }
}

/// The weightage profiles of the session's tenant.
pub struct Profiles<'a> {
    s: &'a Session,
}

impl Session {
    pub fn profiles(&self) -> Profiles<'_> {
        Profiles { s: self }
    }
}

impl Profiles<'_> {
    async fn model<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
    ) -> Result<weightage_profiles::Model> {
        weightage_profiles::Entity::find()
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::ProfileId.eq(id))
            .filter(weightage_profiles::Column::IsDeleted.eq(false))
            .one(conn)
            .await?
            .ok_or_else(|| Error::not_found("weightage profile", id))
    }

    async fn clear_default<C: ConnectionTrait>(&self, conn: &C) -> Result<()> {
        weightage_profiles::Entity::update_many()
            .col_expr(weightage_profiles::Column::IsDefault, Expr::value(false))
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::IsDefault.eq(true))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Saves a profile; with `make_default` it becomes the one new batches use. A name
    /// already taken is a `Conflict`.
    pub async fn create(&self, profile: WeightageProfile, make_default: bool) -> Result<Profile> {
        self.s.require(Permission::ProfileManage)?;
        resolve::validate(&profile).map_err(Error::invalid)?;
        let tx = self.s.begin().await?;
        if make_default {
            self.clear_default(&tx).await?;
        }
        let t = now();
        let id = new_id();
        weightage_profiles::Entity::insert(weightage_profiles::ActiveModel {
            profile_id: Set(id),
            tenant_id: Set(self.s.tenant_id()),
            name: Set(profile.name.trim().to_owned()),
            is_default: Set(make_default),
            weights: Set(weights_json(&profile)),
            knockouts: Set(serde_json::to_value(&profile.knockouts).expect("serialises")),
            disagreement_threshold: Set(profile.disagreement_threshold),
            created_at: Set(t),
            updated_at: Set(t),
            is_deleted: Set(false),
            deleted_at: Set(None),
        })
        .exec_without_returning(&tx)
        .await?;
        self.s
            .audit(
                &tx,
                "profile.create",
                "weightage_profile",
                Some(id),
                serde_json::json!({"name": profile.name, "default": make_default}),
            )
            .await?;
        let m = self.model(&tx, id).await?;
        tx.commit().await?;
        m.try_into()
    }

    /// Replaces a profile's weights and rules. Batches already created keep the snapshot
    /// they were created with.
    pub async fn update(&self, id: Uuid, profile: WeightageProfile) -> Result<Profile> {
        self.s.require(Permission::ProfileManage)?;
        resolve::validate(&profile).map_err(Error::invalid)?;
        let tx = self.s.begin().await?;
        self.model(&tx, id).await?;
        weightage_profiles::Entity::update_many()
            .col_expr(
                weightage_profiles::Column::Name,
                Expr::value(profile.name.trim()),
            )
            .col_expr(
                weightage_profiles::Column::Weights,
                Expr::value(weights_json(&profile)),
            )
            .col_expr(
                weightage_profiles::Column::Knockouts,
                Expr::value(serde_json::to_value(&profile.knockouts).expect("serialises")),
            )
            .col_expr(
                weightage_profiles::Column::DisagreementThreshold,
                Expr::value(profile.disagreement_threshold),
            )
            .col_expr(weightage_profiles::Column::UpdatedAt, Expr::value(now()))
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::ProfileId.eq(id))
            .exec(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "profile.update",
                "weightage_profile",
                Some(id),
                serde_json::json!({"name": profile.name}),
            )
            .await?;
        let m = self.model(&tx, id).await?;
        tx.commit().await?;
        m.try_into()
    }

    /// Makes `id` the tenant's default profile.
    pub async fn set_default(&self, id: Uuid) -> Result<Profile> {
        self.s.require(Permission::ProfileManage)?;
        let tx = self.s.begin().await?;
        self.model(&tx, id).await?;
        self.clear_default(&tx).await?;
        weightage_profiles::Entity::update_many()
            .col_expr(weightage_profiles::Column::IsDefault, Expr::value(true))
            .col_expr(weightage_profiles::Column::UpdatedAt, Expr::value(now()))
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::ProfileId.eq(id))
            .exec(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "profile.set_default",
                "weightage_profile",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
        let m = self.model(&tx, id).await?;
        tx.commit().await?;
        m.try_into()
    }

    pub async fn get(&self, id: Uuid) -> Result<Profile> {
        self.s.require(Permission::ProfileRead)?;
        let tx = self.s.begin_read().await?;
        let m = self.model(&tx, id).await?;
        tx.commit().await?;
        m.try_into()
    }

    /// The tenant's profiles by name.
    pub async fn list(&self) -> Result<Vec<Profile>> {
        self.s.require(Permission::ProfileRead)?;
        let tx = self.s.begin_read().await?;
        let rows = weightage_profiles::Entity::find()
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::IsDeleted.eq(false))
            .order_by_asc(weightage_profiles::Column::Name)
            .all(&tx)
            .await?;
        tx.commit().await?;
        rows.into_iter().map(Profile::try_from).collect()
    }

    /// The profile new batches use: the tenant's default, or the built-in one.
    pub async fn effective_default(&self) -> Result<WeightageProfile> {
        self.s.require(Permission::ProfileRead)?;
        Ok(self
            .list()
            .await?
            .into_iter()
            .find(|p| p.is_default)
            .map_or_else(WeightageProfile::default, |p| p.profile))
    }

    /// Soft-deletes a profile (batches keep their snapshots).
    pub async fn delete(&self, id: Uuid) -> Result<()> {
        self.s.require(Permission::ProfileManage)?;
        let tx = self.s.begin().await?;
        self.model(&tx, id).await?;
        weightage_profiles::Entity::update_many()
            .col_expr(weightage_profiles::Column::IsDeleted, Expr::value(true))
            .col_expr(weightage_profiles::Column::IsDefault, Expr::value(false))
            .col_expr(weightage_profiles::Column::DeletedAt, Expr::value(now()))
            .filter(weightage_profiles::Column::TenantId.eq(self.s.tenant_id()))
            .filter(weightage_profiles::Column::ProfileId.eq(id))
            .exec(&tx)
            .await?;
        self.s
            .audit(
                &tx,
                "profile.delete",
                "weightage_profile",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Scoring one resume

/// The local score reweighted under a profile's component weights (components without a
/// requirement keep weight 0).
pub(crate) fn reweight(mut local: LocalScore, w: &matcher::Weights) -> LocalScore {
    let weight_of = |name: &str| match name {
        "must_have" => w.must_have,
        "nice_to_have" => w.nice_to_have,
        "experience" => w.experience,
        "education" => w.education,
        "keywords" => w.keywords,
        "patterns" => w.patterns,
        _ => 0.0,
    };
    for c in &mut local.components {
        if c.weight > 0.0 {
            let x = weight_of(&c.name);
            c.weight = if x.is_finite() && x > 0.0 { x } else { 0.0 };
        }
    }
    let wsum: f64 = local.components.iter().map(|c| c.weight).sum();
    local.total = if wsum > 0.0 {
        (local
            .components
            .iter()
            .map(|c| c.weight * c.score)
            .sum::<f64>()
            / wsum)
            .clamp(0.0, 100.0)
    } else {
        0.0
    };
    local
}

/// Requirements met and missed, for tables: skills and free requirements from the local
/// evidence (must-haves first).
fn matched_and_missing(local: &LocalScore) -> (Vec<String>, Vec<String>) {
    let (mut met, mut missed) = (Vec::new(), Vec::new());
    for c in &local.components {
        if !matches!(
            c.name.as_str(),
            "must_have" | "nice_to_have" | "keywords" | "patterns"
        ) {
            continue;
        }
        for e in &c.evidence {
            if e.matched.is_some() {
                met.push(e.requirement.clone());
            } else if c.name != "nice_to_have" {
                missed.push(e.requirement.clone());
            }
        }
    }
    (met, missed)
}

fn components_json(local: &LocalScore, ai: Option<&AiScore>, r: &Resolution) -> serde_json::Value {
    let (matched, missing) = matched_and_missing(local);
    serde_json::json!({
        "local": {
            "total": local.total,
            "components": local.components.iter().map(|c: &Component| serde_json::json!({
                "name": c.name, "score": c.score, "weight": c.weight,
            })).collect::<Vec<_>>(),
            "knocked_out": local.knocked_out,
        },
        "ai": ai.map(|a| serde_json::json!({
            "score": a.score, "verdict_score": a.verdict_score, "model": a.model,
            "rationale": a.rationale,
        })),
        "matched": matched,
        "missing": missing,
        "reasons": r.reasons,
    })
}

/// What scoring one resume did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreOutcome {
    pub resume_id: Uuid,
    pub result_id: Uuid,
    pub final_score: f64,
    pub local_score: f64,
    pub ai_score: Option<f64>,
    pub needs_review: bool,
    pub knocked_out: bool,
    /// Calls that reached the model (0 when everything came from the cache).
    pub llm_calls: u32,
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}

/// The AI score of a resume for a JD version by a model, if any.
async fn ai_score_row<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    resume_id: Uuid,
    jd_id: Uuid,
    jd_version: i32,
    model: &str,
) -> Result<Option<ai_scores::Model>> {
    Ok(ai_scores::Entity::find()
        .filter(ai_scores::Column::TenantId.eq(tenant))
        .filter(ai_scores::Column::ResumeId.eq(resume_id))
        .filter(ai_scores::Column::JdId.eq(jd_id))
        .filter(ai_scores::Column::JdVersion.eq(jd_version))
        .filter(ai_scores::Column::Model.eq(model))
        .one(conn)
        .await?)
}

/// What scoring needs of a batch: its job description version and profile snapshot, fixed
/// when the batch is created, so an engine keeps them (see [`Engine::batch_spec`]).
#[derive(Debug)]
pub(crate) struct BatchSpec {
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub title: String,
    pub criteria: crate::jd::criteria::Criteria,
    pub profile: WeightageProfile,
    pub weightage_profile_id: Option<Uuid>,
}

/// What scoring reads before it asks anything: the batch's spec (unless `cached`), and,
/// for `resume` (its id and the model, unless the caller has the resume in hand), the
/// resume row and the AI score stored for that model.
async fn score_reads<C: ConnectionTrait>(
    conn: &C,
    engine: &Engine,
    cached: Option<Arc<BatchSpec>>,
    tenant: Uuid,
    batch_id: Uuid,
    resume: Option<(Uuid, Option<String>)>,
) -> Result<(
    Arc<BatchSpec>,
    Option<resumes::Model>,
    Option<ai_scores::Model>,
)> {
    let batch = match cached {
        Some(spec) => spec,
        None => {
            let b = crate::ingest::batch_model(conn, tenant, batch_id, false).await?;
            let jd = version_model(conn, tenant, b.jd_id, b.jd_version).await?;
            let spec = Arc::new(BatchSpec {
                jd_id: b.jd_id,
                jd_version: b.jd_version,
                title: jd.title,
                criteria: criteria_of(&jd.parameters),
                profile: batch_profile(b.weightage_profile.as_ref())?,
                weightage_profile_id: b.weightage_profile_id,
            });
            engine.remember_batch_spec(tenant, batch_id, spec.clone());
            spec
        }
    };
    let Some((resume_id, model)) = resume else {
        return Ok((batch, None, None));
    };
    let resume = resumes::Entity::find()
        .filter(resumes::Column::TenantId.eq(tenant))
        .filter(resumes::Column::ResumeId.eq(resume_id))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("resume", resume_id))?;
    let stored_ai = match model {
        Some(m) => ai_score_row(conn, tenant, resume_id, batch.jd_id, batch.jd_version, &m).await?,
        None => None,
    };
    Ok((batch, Some(resume), stored_ai))
}

/// A resume its caller has in hand because it created it a moment ago (the pipeline's
/// `validate` step): its text and its parsed form as stored, and no AI score yet.
pub(crate) struct FreshResume {
    pub text: String,
    pub parsed: ParsedResume,
}

/// Scores `resume_id` for `batch_id` (its job description version and profile snapshot)
/// and writes the local score, the AI score (when `llm` is given), the resolution and
/// the batch's result row, unranked. Rerunning replaces the resolution and result and
/// reuses a valid stored AI score, so it is idempotent. With `fresh`, the resume is not
/// read back from the database and the store.
pub(crate) async fn score_resume(
    engine: &Engine,
    tenant: Uuid,
    batch_id: Uuid,
    resume_id: Uuid,
    llm: Option<&dyn LlmClient>,
    as_of: YearMonth,
    fresh: Option<FreshResume>,
) -> Result<ScoreOutcome> {
    let w = prepare_score(engine, tenant, batch_id, resume_id, llm, as_of, fresh).await?;
    let tx = engine.begin(Scope::Tenant(tenant)).await?;
    let out = w.write(&tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// Everything [`score_resume`] does but the writes: reads, the local score, the AI score
/// (its artifacts are stored), the resolution.
pub(crate) async fn prepare_score(
    engine: &Engine,
    tenant: Uuid,
    batch_id: Uuid,
    resume_id: Uuid,
    llm: Option<&dyn LlmClient>,
    as_of: YearMonth,
    fresh: Option<FreshResume>,
) -> Result<ScoreWrite> {
    let model = llm.map(|c| c.model());
    let in_hand = fresh.is_some();
    // The resume to read, unless it is in hand.
    let read = (!in_hand).then(|| (resume_id, model.clone()));
    let (batch, resume, stored_ai) = match engine.batch_spec(tenant, batch_id) {
        // Nothing to read.
        Some(spec) if in_hand => (spec, None, None),
        cached if engine.reads_without_transaction() => {
            score_reads(engine.connection(), engine, cached, tenant, batch_id, read).await?
        }
        cached => {
            let tx = engine.begin_read(Scope::Tenant(tenant)).await?;
            let reads = score_reads(&tx, engine, cached, tenant, batch_id, read).await?;
            tx.commit().await?;
            reads
        }
    };
    let criteria = &batch.criteria;
    let profile = &batch.profile;
    let (text, parsed) = match (fresh, resume) {
        (Some(f), _) => (f.text, f.parsed),
        (None, Some(resume)) => {
            let (Some(text_key), Some(json_key)) =
                (&resume.extracted_text_path, &resume.parsed_json_path)
            else {
                return Err(Error::Conflict(format!(
                    "resume {resume_id} is not parsed yet (status {})",
                    resume.status
                )));
            };
            let text = String::from_utf8(engine.get_opened(tenant, text_key).await?)
                .map_err(|_| Error::Storage(format!("resume text at {text_key} is not UTF-8")))?;
            let parsed_json: serde_json::Value =
                serde_json::from_slice(&engine.get_opened(tenant, json_key).await?)
                    .map_err(|e| Error::Storage(format!("parsed resume at {json_key}: {e}")))?;
            let parsed = ParsedResume::from_json_resume(&parsed_json)
                .map_err(|e| Error::Storage(format!("parsed resume at {json_key}: {e}")))?;
            (text, parsed)
        }
        (None, None) => return Err(Error::not_found("resume", resume_id)),
    };

    // Local: stored with the default component weights; the resolution reweights.
    let local_default = matcher::score(&parsed, &text, criteria, as_of);
    let local = reweight(local_default.clone(), &profile.components);

    // AI: a stored valid score is reused; otherwise the model is asked (through the cache).
    let mut llm_calls = 0;
    let mut ai_row: Option<ai_scores::ActiveModel> = None;
    let mut ai_unavailable: Option<String> = None;
    let ai_score: Option<AiScore> = match (llm, stored_ai) {
        (None, _) => None,
        (Some(_), Some(row)) if row.status == "ok" && row.ai_score_json_path.is_some() => {
            let key = row.ai_score_json_path.as_deref().expect("checked");
            let bytes = engine.get_opened(tenant, key).await?;
            Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Storage(format!("AI score at {key}: {e}")))?,
            )
        }
        (Some(client), previous) => {
            let (redacted, _) =
                crate::candidate::llm_parser::redact(&text, parsed.basics.name.as_deref());
            let cached = CachedLlm::new(engine, tenant, client);
            let out = ai::score(&cached, &batch.title, criteria, &redacted).await;
            llm_calls = cached.calls.load(std::sync::atomic::Ordering::Relaxed);
            let model = client.model();
            // The request whose answer came last (accepted, or the last rejected).
            let mut raw_path = out
                .responses
                .len()
                .checked_sub(1)
                .and_then(|i| out.requests.get(i))
                .map(|r| cache_key(tenant, &request_hash(&model, r)));
            let hash = out.requests.first().map(|r| request_hash(&model, r));
            let (status, score, json_path, flags, error, ai) = match out.status {
                AiStatus::Ok(s) => {
                    let key = format!(
                        "t/{tenant}/resumes/{resume_id}/score-{}-v{}-{}.json",
                        batch.jd_id,
                        batch.jd_version,
                        short_hash(&model)
                    );
                    let body = serde_json::to_vec(&s).expect("scores serialise");
                    engine.put_sealed(tenant, &key, body).await?;
                    (
                        "ok",
                        Some(s.score),
                        Some(key),
                        serde_json::json!(s.flags),
                        None,
                        Some(s),
                    )
                }
                AiStatus::Invalid(why) => {
                    ai_unavailable = Some(why.clone());
                    // Kept for audit under the score's key, and taken out of the cache so
                    // that scoring again asks the model again.
                    let key = format!(
                        "t/{tenant}/resumes/{resume_id}/score-{}-v{}-{}.rejected.json",
                        batch.jd_id,
                        batch.jd_version,
                        short_hash(&model)
                    );
                    let exchange: Vec<_> = out
                        .requests
                        .iter()
                        .zip(&out.responses)
                        .map(|(q, a)| serde_json::json!({"request": q, "response": a}))
                        .collect();
                    let body = serde_json::to_vec(&exchange).expect("exchanges serialise");
                    engine.put_sealed(tenant, &key, body).await?;
                    for r in &out.requests {
                        engine
                            .store()?
                            .delete(&cache_key(tenant, &request_hash(&model, r)))
                            .await?;
                    }
                    raw_path = Some(key);
                    (
                        "invalid",
                        None,
                        None,
                        serde_json::json!([]),
                        Some(why),
                        None,
                    )
                }
                AiStatus::Failed(why) => {
                    ai_unavailable = Some(why.clone());
                    ("failed", None, None, serde_json::json!([]), Some(why), None)
                }
            };
            ai_row = Some(ai_scores::ActiveModel {
                ai_score_id: Set(previous.map_or_else(new_id, |p| p.ai_score_id)),
                tenant_id: Set(tenant),
                resume_id: Set(resume_id),
                jd_id: Set(batch.jd_id),
                jd_version: Set(batch.jd_version),
                status: Set(status.into()),
                score: Set(score),
                model: Set(model),
                request_hash: Set(hash),
                ai_score_json_path: Set(json_path),
                ai_raw_response_path: Set(raw_path),
                flags: Set(flags),
                error: Set(error),
                created_at: Set(now()),
            });
            ai
        }
    };
    let resolution = resolve::resolve(
        &local,
        ai_score.as_ref(),
        ai_unavailable.as_deref(),
        profile,
    );

    Ok(ScoreWrite {
        tenant,
        batch_id,
        resume_id,
        batch,
        as_of,
        model,
        local_default,
        local,
        ai_row,
        ai_score,
        resolution,
        llm_calls,
        planned_result_id: new_id(),
    })
}

/// A scored resume whose rows are still to be written ([`ScoreWrite::write`]).
pub(crate) struct ScoreWrite {
    tenant: Uuid,
    batch_id: Uuid,
    resume_id: Uuid,
    batch: Arc<BatchSpec>,
    as_of: YearMonth,
    model: Option<String>,
    local_default: LocalScore,
    local: LocalScore,
    ai_row: Option<ai_scores::ActiveModel>,
    ai_score: Option<AiScore>,
    resolution: Resolution,
    llm_calls: u32,
    /// The id a new result row gets (an existing one keeps its own).
    planned_result_id: Uuid,
}

impl ScoreWrite {
    /// What [`Self::write`] returns when it creates the batch's result row for the resume.
    pub(crate) fn planned(&self) -> ScoreOutcome {
        self.outcome(self.planned_result_id)
    }

    fn outcome(&self, result_id: Uuid) -> ScoreOutcome {
        let r = &self.resolution;
        ScoreOutcome {
            resume_id: self.resume_id,
            result_id,
            final_score: r.final_score,
            local_score: r.local_score,
            ai_score: r.ai_score,
            needs_review: r.needs_review,
            knocked_out: r.knocked_out,
            llm_calls: self.llm_calls,
        }
    }

    /// Writes the local score, the AI score, the resolution and the result row (unranked)
    /// and marks the resume scored, in `tx`.
    pub(crate) async fn write<C: ConnectionTrait>(self, tx: &C) -> Result<ScoreOutcome> {
        let ScoreWrite {
            tenant,
            batch_id,
            resume_id,
            as_of,
            planned_result_id,
            ..
        } = self;
        let ScoreWrite {
            batch,
            model,
            local_default,
            local,
            ai_score,
            resolution,
            ..
        } = &self;
        let ai_row = self.ai_row.clone();
        let profile = &batch.profile;
        let t = now();
        // One chain of writes (one statement on PostgreSQL): each upsert returns the id of
        // the row it wrote (new, or the one it updated), and the next rows point at it.
        let mut chain = crate::db::Chain::default();
        let local_id = chain.returning(
            local_match_scores::Entity::insert(local_match_scores::ActiveModel {
                local_score_id: Set(new_id()),
                tenant_id: Set(tenant),
                resume_id: Set(resume_id),
                jd_id: Set(batch.jd_id),
                jd_version: Set(batch.jd_version),
                score: Set(local_default.total),
                components: Set(
                    serde_json::to_value(&local_default.components).expect("serialises")
                ),
                evidence: Set(serde_json::json!({
                    "knocked_out": local_default.knocked_out,
                    "flags": local_default.flags,
                    "as_of": as_of.to_string(),
                })),
                created_at: Set(t),
            })
            .on_conflict(
                OnConflict::columns([
                    local_match_scores::Column::TenantId,
                    local_match_scores::Column::ResumeId,
                    local_match_scores::Column::JdId,
                    local_match_scores::Column::JdVersion,
                ])
                .update_columns([
                    local_match_scores::Column::Score,
                    local_match_scores::Column::Components,
                    local_match_scores::Column::Evidence,
                ])
                .to_owned(),
            ),
            local_match_scores::Column::LocalScoreId,
        );
        let ai_id = match ai_row {
            Some(row) => Some(
                chain.returning(
                    ai_scores::Entity::insert(row).on_conflict(
                        OnConflict::columns([
                            ai_scores::Column::TenantId,
                            ai_scores::Column::ResumeId,
                            ai_scores::Column::JdId,
                            ai_scores::Column::JdVersion,
                            ai_scores::Column::Model,
                        ])
                        .update_columns([
                            ai_scores::Column::Status,
                            ai_scores::Column::Score,
                            ai_scores::Column::RequestHash,
                            ai_scores::Column::AiScoreJsonPath,
                            ai_scores::Column::AiRawResponsePath,
                            ai_scores::Column::Flags,
                            ai_scores::Column::Error,
                            ai_scores::Column::CreatedAt,
                        ])
                        .to_owned(),
                    ),
                    ai_scores::Column::AiScoreId,
                ),
            ),
            None => match (&model, &ai_score) {
                // Reused: point at the stored row.
                (Some(m), Some(_)) => {
                    ai_score_row(tx, tenant, resume_id, batch.jd_id, batch.jd_version, m)
                        .await?
                        .map(|m| m.ai_score_id)
                }
                _ => None,
            },
        };
        let policy = serde_json::json!({
            "profile": profile,
            "profile_id": batch.weightage_profile_id,
            "jd_version": batch.jd_version,
            "as_of": as_of.to_string(),
        });
        let resolution_id = chain.returning(
            score_resolutions::Entity::insert(score_resolutions::ActiveModel {
                resolution_id: Set(new_id()),
                tenant_id: Set(tenant),
                batch_id: Set(batch_id),
                resume_id: Set(resume_id),
                jd_id: Set(batch.jd_id),
                jd_version: Set(batch.jd_version),
                local_score_id: Set(local_id),
                ai_score_id: Set(ai_id),
                profile_id: Set(batch.weightage_profile_id),
                final_score: Set(resolution.final_score),
                components: Set(components_json(local, ai_score.as_ref(), resolution)),
                policy: Set(policy),
                needs_review: Set(resolution.needs_review),
                knocked_out: Set(resolution.knocked_out),
                created_at: Set(t),
            })
            .on_conflict(
                OnConflict::columns([
                    score_resolutions::Column::TenantId,
                    score_resolutions::Column::BatchId,
                    score_resolutions::Column::ResumeId,
                ])
                .update_columns([
                    score_resolutions::Column::LocalScoreId,
                    score_resolutions::Column::AiScoreId,
                    score_resolutions::Column::ProfileId,
                    score_resolutions::Column::FinalScore,
                    score_resolutions::Column::Components,
                    score_resolutions::Column::Policy,
                    score_resolutions::Column::NeedsReview,
                    score_resolutions::Column::KnockedOut,
                    score_resolutions::Column::CreatedAt,
                ])
                .to_owned(),
            ),
            score_resolutions::Column::ResolutionId,
        );
        let mut flags = resolution.flags.clone();
        if resolution.needs_review {
            flags.insert(0, "needs_review".into());
        }
        if resolution.knocked_out {
            flags.insert(0, "knocked_out".into());
        }
        if ai_score.is_none() {
            flags.insert(0, "local_only".into());
        }
        chain.returning(
            results::Entity::insert(results::ActiveModel {
                result_id: Set(planned_result_id),
                tenant_id: Set(tenant),
                batch_id: Set(batch_id),
                jd_id: Set(batch.jd_id),
                resume_id: Set(resume_id),
                resolution_id: Set(Some(resolution_id)),
                final_score: Set(resolution.final_score),
                rank: Set(None),
                flags: Set(serde_json::json!(flags)),
                created_at: Set(t),
                updated_at: Set(t),
            })
            .on_conflict(
                OnConflict::columns([
                    results::Column::TenantId,
                    results::Column::BatchId,
                    results::Column::ResumeId,
                ])
                .update_columns([
                    results::Column::ResolutionId,
                    results::Column::FinalScore,
                    results::Column::Flags,
                    results::Column::UpdatedAt,
                ])
                .to_owned(),
            ),
            results::Column::ResultId,
        );
        chain.update(
            resumes::Entity::update_many()
                .col_expr(resumes::Column::Status, Expr::value("scored"))
                .col_expr(resumes::Column::UpdatedAt, Expr::value(t))
                .filter(resumes::Column::TenantId.eq(tenant))
                .filter(resumes::Column::ResumeId.eq(resume_id)),
        );
        let ids = chain.exec(tx).await?;
        // The result's id is the last one returned.
        let result_id = *ids.last().expect("the result row's id");
        Ok(self.outcome(result_id))
    }
}

/// Ranks a batch's results: final score descending, then local score, then resume id, so
/// the order is total and stable. Returns how many results were ranked.
pub(crate) async fn rank_batch(engine: &Engine, tenant: Uuid, batch_id: Uuid) -> Result<usize> {
    let tx = engine.begin(Scope::Tenant(tenant)).await?;
    let n = rank_in(&tx, tenant, batch_id).await?;
    tx.commit().await?;
    Ok(n)
}

/// [`rank_batch`] inside the caller's transaction.
pub(crate) async fn rank_in<C: ConnectionTrait>(
    tx: &C,
    tenant: Uuid,
    batch_id: Uuid,
) -> Result<usize> {
    let rows = results::Entity::find()
        .filter(results::Column::TenantId.eq(tenant))
        .filter(results::Column::BatchId.eq(batch_id))
        .all(tx)
        .await?;
    let locals: std::collections::HashMap<Uuid, f64> = score_resolutions::Entity::find()
        .filter(score_resolutions::Column::TenantId.eq(tenant))
        .filter(score_resolutions::Column::BatchId.eq(batch_id))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.resume_id,
                r.components["local"]["total"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    let mut order: Vec<(f64, f64, Uuid, Uuid, Option<i32>)> = rows
        .iter()
        .map(|r| {
            (
                r.final_score,
                locals.get(&r.resume_id).copied().unwrap_or(0.0),
                r.resume_id,
                r.result_id,
                r.rank,
            )
        })
        .collect();
    order.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
    });
    let t = now();
    let changed: Vec<(Uuid, i32)> = order
        .iter()
        .enumerate()
        .map(|(i, (_, _, _, result_id, old))| (*result_id, i as i32 + 1, *old))
        .filter(|(_, rank, old)| *old != Some(*rank))
        .map(|(id, rank, _)| (id, rank))
        .collect();
    // One statement per few hundred results: `rank = CASE result_id WHEN … THEN … END`.
    for chunk in changed.chunks(300) {
        let mut case = sea_orm::sea_query::CaseStatement::new();
        for (id, rank) in chunk {
            case = case.case(results::Column::ResultId.eq(*id), *rank);
        }
        results::Entity::update_many()
            .col_expr(
                results::Column::Rank,
                case.finally(Expr::col(results::Column::Rank)).into(),
            )
            .col_expr(results::Column::UpdatedAt, Expr::value(t))
            .filter(results::Column::TenantId.eq(tenant))
            .filter(results::Column::ResultId.is_in(chunk.iter().map(|(id, _)| *id)))
            .exec(tx)
            .await?;
    }
    Ok(order.len())
}

// ---------------------------------------------------------------------------------------
// Results

/// One ranked result with the reasons behind its score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankedResult {
    pub result_id: Uuid,
    pub batch_id: Uuid,
    pub jd_id: Uuid,
    pub jd_version: i32,
    pub resume_id: Uuid,
    /// 1 = best; `None` until the batch is ranked.
    pub rank: Option<i32>,
    pub final_score: f64,
    pub local_score: f64,
    pub ai_score: Option<f64>,
    pub needs_review: bool,
    pub knocked_out: bool,
    /// `local_only`, `knocked_out`, `needs_review` and the scorers' flags.
    pub flags: Vec<String>,
    /// Requirements the resume meets (skills, keywords, patterns).
    pub matched: Vec<String>,
    /// Must-have skills and free requirements it does not meet.
    pub missing: Vec<String>,
    /// How the final score came about.
    pub reasons: Vec<String>,
    /// The AI's rationale, when there is an AI score.
    pub ai_rationale: Option<String>,
    /// The names the resume was uploaded under in this batch.
    pub file_names: Vec<String>,
    /// The batch's files with this content.
    pub file_ids: Vec<Uuid>,
    /// Only for sessions with `candidate_pii_read`.
    pub candidate_name: Option<String>,
}

/// Scores and results of the session's tenant.
pub struct Scoring<'a> {
    s: &'a Session,
}

impl Session {
    pub fn scoring(&self) -> Scoring<'_> {
        Scoring { s: self }
    }
}

impl Scoring<'_> {
    /// Scores (or rescores) one parsed resume for a batch with the engine's LLM, if any,
    /// and reranks the batch. The pipeline does this for every file; hosts call it to
    /// rescore by hand.
    pub async fn score_resume(&self, batch_id: Uuid, resume_id: Uuid) -> Result<ScoreOutcome> {
        self.s.require(Permission::BatchWrite)?;
        let engine = self.s.engine();
        let tenant = self.s.tenant_id();
        let out = score_resume(
            engine,
            tenant,
            batch_id,
            resume_id,
            engine.llm(),
            crate::candidate::validate::current_month(),
            None,
        )
        .await?;
        rank_batch(engine, tenant, batch_id).await?;
        let tx = self.s.begin().await?;
        self.s
            .audit(
                &tx,
                "score.compute",
                "resume",
                Some(resume_id),
                serde_json::json!({"batch_id": batch_id, "final": out.final_score}),
            )
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Ranks a batch's results again.
    pub async fn rank(&self, batch_id: Uuid) -> Result<usize> {
        self.s.require(Permission::BatchWrite)?;
        let tenant = self.s.tenant_id();
        {
            let tx = self.s.begin_read().await?;
            crate::ingest::batch_model(&tx, tenant, batch_id, false).await?;
            tx.commit().await?;
        }
        rank_batch(self.s.engine(), tenant, batch_id).await
    }

    /// The batch's results, best first (unranked ones last). Audited as a read of the
    /// batch's results.
    pub async fn results(&self, batch_id: Uuid) -> Result<Vec<RankedResult>> {
        self.s.require(Permission::CandidateRead)?;
        let pii = self.s.can(Permission::CandidatePiiRead);
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        crate::ingest::batch_model(&tx, tenant, batch_id, false).await?;
        let rows = results::Entity::find()
            .filter(results::Column::TenantId.eq(tenant))
            .filter(results::Column::BatchId.eq(batch_id))
            .all(&tx)
            .await?;
        let resolutions: std::collections::HashMap<Uuid, score_resolutions::Model> =
            score_resolutions::Entity::find()
                .filter(score_resolutions::Column::TenantId.eq(tenant))
                .filter(score_resolutions::Column::BatchId.eq(batch_id))
                .all(&tx)
                .await?
                .into_iter()
                .map(|r| (r.resolution_id, r))
                .collect();
        // File names per resume: files → storage objects → resumes.
        let batch_files = files::Entity::find()
            .filter(files::Column::TenantId.eq(tenant))
            .filter(files::Column::BatchId.eq(batch_id))
            .order_by_asc(files::Column::CreatedAt)
            .all(&tx)
            .await?;
        // Subqueries rather than lists of ids: a batch may hold more files than a
        // statement may bind parameters.
        let batch_objects = Query::select()
            .column(files::Column::StorageObjectId)
            .from(files::Entity)
            .and_where(files::Column::TenantId.eq(tenant))
            .and_where(files::Column::BatchId.eq(batch_id))
            .to_owned();
        let resume_of_object: std::collections::HashMap<Uuid, Uuid> = resumes::Entity::find()
            .filter(resumes::Column::TenantId.eq(tenant))
            .filter(resumes::Column::StorageObjectId.in_subquery(batch_objects))
            .all(&tx)
            .await?
            .into_iter()
            .map(|r| (r.storage_object_id, r.resume_id))
            .collect();
        let mut names: std::collections::HashMap<Uuid, Vec<(String, Uuid)>> = Default::default();
        for f in &batch_files {
            if let Some(r) = f.storage_object_id.and_then(|o| resume_of_object.get(&o)) {
                names
                    .entry(*r)
                    .or_default()
                    .push((f.original_name.clone(), f.file_id));
            }
        }
        let mut candidate_names: std::collections::HashMap<Uuid, String> = Default::default();
        if pii && !rows.is_empty() {
            let contacts = resume_contacts::Entity::find()
                .filter(resume_contacts::Column::TenantId.eq(tenant))
                .filter(resume_contacts::Column::Kind.eq("name"))
                .filter(
                    resume_contacts::Column::ResumeId.in_subquery(
                        Query::select()
                            .column(results::Column::ResumeId)
                            .from(results::Entity)
                            .and_where(results::Column::TenantId.eq(tenant))
                            .and_where(results::Column::BatchId.eq(batch_id))
                            .to_owned(),
                    ),
                )
                .all(&tx)
                .await?;
            for c in contacts {
                let plain = self
                    .s
                    .engine()
                    .keys()
                    .open(
                        crate::candidate::persist::contact_aad(tenant, c.contact_id),
                        &c.value_ciphertext,
                    )
                    .await?;
                if let Ok(name) = String::from_utf8(plain) {
                    candidate_names.insert(c.resume_id, name);
                }
            }
        }
        self.s
            .audit(
                &tx,
                "results.read",
                "batch",
                Some(batch_id),
                serde_json::json!({"rows": rows.len(), "pii": pii}),
            )
            .await?;
        tx.commit().await?;
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut out: Vec<RankedResult> = rows
            .into_iter()
            .map(|r| {
                let res = r.resolution_id.and_then(|id| resolutions.get(&id));
                let comp = res.map(|x| &x.components);
                RankedResult {
                    result_id: r.result_id,
                    batch_id,
                    jd_id: r.jd_id,
                    jd_version: res.map_or(0, |x| x.jd_version),
                    resume_id: r.resume_id,
                    rank: r.rank,
                    final_score: r.final_score,
                    local_score: comp
                        .and_then(|c| c["local"]["total"].as_f64())
                        .unwrap_or(0.0),
                    ai_score: comp.and_then(|c| c["ai"]["score"].as_f64()),
                    needs_review: res.is_some_and(|x| x.needs_review),
                    knocked_out: res.is_some_and(|x| x.knocked_out),
                    flags: strings(&r.flags),
                    matched: comp.map(|c| strings(&c["matched"])).unwrap_or_default(),
                    missing: comp.map(|c| strings(&c["missing"])).unwrap_or_default(),
                    reasons: comp.map(|c| strings(&c["reasons"])).unwrap_or_default(),
                    ai_rationale: comp
                        .and_then(|c| c["ai"]["rationale"].as_str())
                        .map(str::to_owned),
                    file_names: names
                        .get(&r.resume_id)
                        .map(|v| v.iter().map(|(n, _)| n.clone()).collect())
                        .unwrap_or_default(),
                    file_ids: names
                        .remove(&r.resume_id)
                        .map(|v| v.into_iter().map(|(_, id)| id).collect())
                        .unwrap_or_default(),
                    candidate_name: candidate_names.remove(&r.resume_id),
                }
            })
            .collect();
        out.sort_by(|a, b| match (a.rank, b.rank) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => b.final_score.total_cmp(&a.final_score),
        });
        Ok(out)
    }

    /// The local and AI evidence behind one result: the stored local components with
    /// their evidence and, when there is one, the AI score with its verdicts and quotes.
    /// Audited as a read of the resume.
    pub async fn evidence(&self, batch_id: Uuid, resume_id: Uuid) -> Result<Evidence> {
        self.s.require(Permission::CandidateRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let res = score_resolutions::Entity::find()
            .filter(score_resolutions::Column::TenantId.eq(tenant))
            .filter(score_resolutions::Column::BatchId.eq(batch_id))
            .filter(score_resolutions::Column::ResumeId.eq(resume_id))
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found("score", format!("{batch_id}/{resume_id}")))?;
        let local = local_match_scores::Entity::find()
            .filter(local_match_scores::Column::TenantId.eq(tenant))
            .filter(local_match_scores::Column::LocalScoreId.eq(res.local_score_id))
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found("local score", res.local_score_id))?;
        let ai = match res.ai_score_id {
            Some(id) => {
                ai_scores::Entity::find()
                    .filter(ai_scores::Column::TenantId.eq(tenant))
                    .filter(ai_scores::Column::AiScoreId.eq(id))
                    .one(&tx)
                    .await?
            }
            None => None,
        };
        self.s
            .audit(
                &tx,
                "resume.read",
                "resume",
                Some(resume_id),
                serde_json::json!({"what": "score evidence", "batch_id": batch_id}),
            )
            .await?;
        tx.commit().await?;
        let ai_score = match ai.as_ref().and_then(|a| a.ai_score_json_path.as_deref()) {
            Some(key) => {
                let bytes = self.s.engine().get_opened(tenant, key).await?;
                Some(
                    serde_json::from_slice(&bytes)
                        .map_err(|e| Error::Storage(format!("AI score at {key}: {e}")))?,
                )
            }
            None => None,
        };
        Ok(Evidence {
            final_score: res.final_score,
            local_components: serde_json::from_value(local.components)
                .map_err(|e| Error::Storage(format!("local score components: {e}")))?,
            ai: ai_score,
            ai_status: ai.map(|a| a.status),
            resolution: res.components,
            policy: res.policy,
        })
    }
}

/// Everything behind one result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub final_score: f64,
    /// The local matcher's components with their evidence (default weights).
    pub local_components: Vec<Component>,
    pub ai: Option<AiScore>,
    /// `ok`, `invalid` or `failed` when the AI scorer ran.
    pub ai_status: Option<String>,
    /// Scores, matched and missing requirements and reasons, as resolved.
    pub resolution: serde_json::Value,
    /// The profile and JD version used.
    pub policy: serde_json::Value,
}
