//! Job descriptions: criteria, versions, skills and requirements.
//!
//! A job description is created from text (Markdown or plain), from structured
//! parameters, or both. The text is read into [`Criteria`] by the host's model when the
//! engine has one ([`llm::extract`]) and by the heuristic extractor otherwise; explicit
//! parameters are laid over what was read ([`Criteria::merge`]). The effective criteria
//! are `job_descriptions.parameters` (with the host's explicit layer under `"explicit"`
//! and the reader under `"source"`), and are spelled out row by row in `jd_skills` and
//! `jd_requirements` for queries.
//!
//! Every saved state is a `jd_versions` row, the first included; an edit or a restore
//! writes the next version, so the history only grows. Batches record the version they
//! were created against, and every score records the version it was computed for.
//!
//! The raw text may hold a recruiter's contact details, so it is sealed with the tenant's
//! key in the object store, at `t/{tenant}/jd/{jd}/v{version}.md`, and the database holds
//! only that key.

pub mod criteria;
pub mod entity;
pub mod llm;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{new_id, now};
use crate::error::{Error, Result};
use crate::tenancy::Permission;
pub use criteria::Criteria;
use entity::{jd_requirements, jd_skills, jd_versions, job_descriptions};

/// The longest title accepted, in characters.
const MAX_TITLE_CHARS: usize = 300;
/// The longest job description text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// A job description as stored; its raw text is read with [`JobDescriptions::text`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobDescription {
    pub jd_id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    /// The effective criteria (see [`JobDescription::criteria`]), plus `"explicit"` (the
    /// host's own parameters) and `"source"` (`heuristic`, `llm` or `explicit`).
    pub parameters: serde_json::Value,
    /// Whether raw text was stored with this version.
    pub has_text: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl JobDescription {
    /// The criteria candidates are scored against.
    pub fn criteria(&self) -> Criteria {
        criteria_of(&self.parameters)
    }
}

/// The criteria in a stored `parameters` value (unknown members ignored).
pub(crate) fn criteria_of(parameters: &serde_json::Value) -> Criteria {
    serde_json::from_value(parameters.clone()).unwrap_or_default()
}

impl From<job_descriptions::Model> for JobDescription {
    fn from(m: job_descriptions::Model) -> Self {
        JobDescription {
            jd_id: m.jd_id,
            tenant_id: m.tenant_id,
            title: m.title,
            parameters: m.parameters,
            has_text: m.raw_text_path.is_some(),
            version: m.version,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One saved state of a job description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JdVersion {
    pub jd_id: Uuid,
    pub version: i32,
    pub title: String,
    pub parameters: serde_json::Value,
    pub has_text: bool,
    pub changed_by: Option<Uuid>,
    /// `created`, `edited`, `restored from v2`, or the editor's own note.
    pub change_note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<jd_versions::Model> for JdVersion {
    fn from(m: jd_versions::Model) -> Self {
        JdVersion {
            jd_id: m.jd_id,
            version: m.version,
            title: m.title,
            parameters: m.parameters,
            has_text: m.raw_text_path.is_some(),
            changed_by: m.changed_by,
            change_note: m.change_note,
            created_at: m.created_at,
        }
    }
}

/// What [`JobDescriptions::create`] needs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NewJobDescription {
    pub title: String,
    /// The job description as written (Markdown or plain text).
    #[serde(default)]
    pub text: Option<String>,
    /// Explicit criteria as a JSON object (the fields of [`Criteria`]); they win over
    /// what is read from the text. `null` means none.
    #[serde(default)]
    pub parameters: serde_json::Value,
}

/// What [`JobDescriptions::update`] changes; `None` keeps the current value.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JdUpdate {
    #[serde(default)]
    pub title: Option<String>,
    /// New text; the criteria are read from it again.
    #[serde(default)]
    pub text: Option<String>,
    /// New explicit criteria (replacing the previous explicit layer).
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
    /// Why, for the version history.
    #[serde(default)]
    pub note: Option<String>,
}

/// The store key of a job description's raw text at `version`.
pub fn text_key(tenant: Uuid, jd: Uuid, version: i32) -> String {
    format!("t/{tenant}/jd/{jd}/v{version}.md")
}

/// The job description `jd` of `tenant`, unless deleted; `NotFound` otherwise.
pub(crate) async fn jd_model<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    jd: Uuid,
) -> Result<job_descriptions::Model> {
    job_descriptions::Entity::find()
        .filter(job_descriptions::Column::TenantId.eq(tenant))
        .filter(job_descriptions::Column::JdId.eq(jd))
        .filter(job_descriptions::Column::IsDeleted.eq(false))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("job description", jd))
}

/// Version `version` of `jd`; `NotFound` otherwise.
pub(crate) async fn version_model<C: ConnectionTrait>(
    conn: &C,
    tenant: Uuid,
    jd: Uuid,
    version: i32,
) -> Result<jd_versions::Model> {
    jd_versions::Entity::find()
        .filter(jd_versions::Column::TenantId.eq(tenant))
        .filter(jd_versions::Column::JdId.eq(jd))
        .filter(jd_versions::Column::Version.eq(version))
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found("job description version", format!("{jd} v{version}")))
}

fn clean_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Error::invalid("job description title must not be empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::invalid(format!(
            "job description title is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    Ok(title.to_owned())
}

/// The host's explicit criteria: an object (or null, meaning none) that parses and
/// validates as [`Criteria`].
fn explicit_criteria(parameters: &serde_json::Value) -> Result<(serde_json::Value, Criteria)> {
    let obj = match parameters {
        serde_json::Value::Null => serde_json::json!({}),
        p @ serde_json::Value::Object(_) => p.clone(),
        _ => {
            return Err(Error::invalid(
                "job description parameters must be a JSON object",
            ));
        }
    };
    let c: Criteria = serde_json::from_value(obj.clone())
        .map_err(|e| Error::invalid(format!("job description parameters: {e}")))?;
    c.validate()
        .map_err(|e| Error::invalid(format!("job description parameters: {e}")))?;
    Ok((obj, c))
}

fn check_text(text: &str) -> Result<()> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Error::invalid(format!(
            "job description text is larger than {MAX_TEXT_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The effective criteria and the stored `parameters` value for a text and an explicit
/// layer. The text is read by the model when there is one, else by the heuristic.
async fn effective(
    engine: &crate::Engine,
    tenant: Uuid,
    text: Option<&str>,
    explicit: (serde_json::Value, Criteria),
) -> Result<serde_json::Value> {
    let (explicit_json, explicit) = explicit;
    let (read, source, note) = match text {
        Some(t) if !t.trim().is_empty() => match engine.llm() {
            Some(client) => {
                let cached = crate::llm::CachedLlm::new(engine, tenant, client);
                let out = llm::extract(&cached, t).await;
                (out.criteria, out.source, out.fallback_reason)
            }
            None => (criteria::extract_criteria(t), "heuristic", None),
        },
        _ => (Criteria::default(), "explicit", None),
    };
    let merged = read.merge(explicit);
    merged
        .validate()
        .map_err(|e| Error::invalid(format!("job description criteria: {e}")))?;
    let mut v = serde_json::to_value(&merged).map_err(|e| Error::invalid(e.to_string()))?;
    v["explicit"] = explicit_json;
    v["source"] = source.into();
    if let Some(n) = note {
        v["source_note"] = n.into();
    }
    Ok(v)
}

/// Rewrites the `jd_skills` and `jd_requirements` rows of `jd` from its criteria.
async fn write_rows<C: ConnectionTrait>(
    tx: &C,
    tenant: Uuid,
    jd: Uuid,
    c: &Criteria,
) -> Result<()> {
    jd_skills::Entity::delete_many()
        .filter(jd_skills::Column::TenantId.eq(tenant))
        .filter(jd_skills::Column::JdId.eq(jd))
        .exec(tx)
        .await?;
    jd_requirements::Entity::delete_many()
        .filter(jd_requirements::Column::TenantId.eq(tenant))
        .filter(jd_requirements::Column::JdId.eq(jd))
        .exec(tx)
        .await?;
    let t = now();
    for (importance, list) in [("must", &c.must_have), ("nice", &c.nice_to_have)] {
        for skill in list {
            jd_skills::Entity::insert(jd_skills::ActiveModel {
                jd_skill_id: Set(new_id()),
                tenant_id: Set(tenant),
                jd_id: Set(jd),
                skill: Set(skill.clone()),
                raw: Set(None),
                importance: Set(importance.into()),
                weight: Set(1.0),
                created_at: Set(t),
            })
            .exec_without_returning(tx)
            .await?;
        }
    }
    let mut rows: Vec<(&str, String, f64, bool)> = Vec::new();
    if let Some(y) = c.min_years {
        rows.push(("experience", format!("{y} years"), 1.0, false));
    }
    if let Some(e) = c.min_education {
        let e = serde_json::to_value(e).expect("levels serialise");
        rows.push((
            "education",
            e.as_str().unwrap_or_default().into(),
            1.0,
            false,
        ));
    }
    if let Some(l) = &c.location {
        rows.push(("location", l.clone(), 1.0, false));
    }
    if let Some(s) = &c.salary {
        rows.push((
            "salary",
            serde_json::to_string(s).expect("salaries serialise"),
            1.0,
            false,
        ));
    }
    for r in &c.keywords {
        rows.push(("keyword", r.pattern.clone(), r.weight, r.mandatory));
    }
    for r in &c.regexes {
        rows.push(("regex", r.pattern.clone(), r.weight, r.mandatory));
    }
    for (i, (kind, value, weight, mandatory)) in rows.into_iter().enumerate() {
        jd_requirements::Entity::insert(jd_requirements::ActiveModel {
            jd_requirement_id: Set(new_id()),
            tenant_id: Set(tenant),
            jd_id: Set(jd),
            kind: Set(kind.into()),
            value: Set(value),
            weight: Set(weight),
            mandatory: Set(mandatory),
            position: Set(i as i32),
            created_at: Set(t),
        })
        .exec_without_returning(tx)
        .await?;
    }
    Ok(())
}

/// A `jd_requirements` or `jd_skills` row, as [`JobDescriptions::requirements`] lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JdRequirement {
    /// `must_have`, `nice_to_have`, `experience`, `education`, `location`, `salary`,
    /// `keyword` or `regex`.
    pub kind: String,
    pub value: String,
    pub weight: f64,
    pub mandatory: bool,
}

/// The job descriptions of the session's tenant.
pub struct JobDescriptions<'a> {
    s: &'a crate::Session,
}

impl crate::Session {
    pub fn job_descriptions(&self) -> JobDescriptions<'_> {
        JobDescriptions { s: self }
    }
}

impl JobDescriptions<'_> {
    /// Creates version 1 of a job description. The text, if any, is sealed into the store
    /// before the rows are written, so a row never points at text that is not there; a
    /// crash in between leaves at most an unreferenced artifact under a fresh id.
    pub async fn create(&self, new: NewJobDescription) -> Result<JobDescription> {
        self.s.require(Permission::JdWrite)?;
        let title = clean_title(&new.title)?;
        let explicit = explicit_criteria(&new.parameters)?;
        if let Some(t) = &new.text {
            check_text(t)?;
        }
        let tenant = self.s.tenant_id();
        let engine = self.s.engine();
        let parameters = effective(engine, tenant, new.text.as_deref(), explicit).await?;
        let jd_id = new_id();
        let version = 1;
        let text_path = match new.text {
            Some(text) => {
                let key = text_key(tenant, jd_id, version);
                engine
                    .put_sealed_once(tenant, &key, text.into_bytes())
                    .await?;
                Some(key)
            }
            None => None,
        };
        let user = self.s.actor().user_id;
        let t = now();
        let tx = self.s.begin().await?;
        let m = job_descriptions::ActiveModel {
            jd_id: Set(jd_id),
            tenant_id: Set(tenant),
            title: Set(title.clone()),
            parameters: Set(parameters.clone()),
            raw_text_path: Set(text_path.clone()),
            version: Set(version),
            created_by: Set(Some(user)),
            created_at: Set(t),
            updated_at: Set(t),
            is_deleted: Set(false),
            deleted_at: Set(None),
        }
        .insert(&tx)
        .await?;
        self.save_version(&tx, &m, Some(user), "created").await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// Writes the `jd_versions` row, the skill and requirement rows and the audit row of
    /// the state `m` now has.
    async fn save_version<C: ConnectionTrait>(
        &self,
        tx: &C,
        m: &job_descriptions::Model,
        user: Option<Uuid>,
        note: &str,
    ) -> Result<()> {
        jd_versions::ActiveModel {
            jd_version_id: Set(new_id()),
            tenant_id: Set(m.tenant_id),
            jd_id: Set(m.jd_id),
            version: Set(m.version),
            title: Set(m.title.clone()),
            parameters: Set(m.parameters.clone()),
            raw_text_path: Set(m.raw_text_path.clone()),
            changed_by: Set(user),
            change_note: Set(Some(note.to_owned())),
            created_at: Set(m.updated_at),
        }
        .insert(tx)
        .await?;
        write_rows(tx, m.tenant_id, m.jd_id, &criteria_of(&m.parameters)).await?;
        let action = if m.version == 1 {
            "jd.create"
        } else {
            "jd.update"
        };
        self.s
            .audit(
                tx,
                action,
                "job_description",
                Some(m.jd_id),
                serde_json::json!({
                    "version": m.version,
                    "note": note,
                    "source": m.parameters.get("source"),
                }),
            )
            .await
    }

    /// Writes the next version with `title`, `parameters` and `text_path`, if the current
    /// version is still `expected` (a concurrent edit otherwise gets `Conflict`).
    async fn next_version(
        &self,
        current: job_descriptions::Model,
        title: String,
        parameters: serde_json::Value,
        text_path: Option<String>,
        note: &str,
    ) -> Result<JobDescription> {
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let now_m = jd_model(&tx, tenant, current.jd_id).await?;
        if now_m.version != current.version {
            return Err(Error::Conflict(format!(
                "job description {} was edited concurrently (now version {})",
                current.jd_id, now_m.version
            )));
        }
        let mut am: job_descriptions::ActiveModel = now_m.into();
        am.title = Set(title);
        am.parameters = Set(parameters);
        am.raw_text_path = Set(text_path);
        am.version = Set(current.version + 1);
        am.updated_at = Set(now());
        let m = am.update(&tx).await?;
        self.save_version(&tx, &m, Some(self.s.actor().user_id), note)
            .await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// Edits a job description: writes the next version. New text is read into criteria
    /// again, with the explicit layer (the new one, or the one in force) laid over it.
    /// Batches and scores keep the version they were made with.
    pub async fn update(&self, jd_id: Uuid, update: JdUpdate) -> Result<JobDescription> {
        self.s.require(Permission::JdWrite)?;
        let tenant = self.s.tenant_id();
        let current = {
            let tx = self.s.begin_read().await?;
            let m = jd_model(&tx, tenant, jd_id).await?;
            tx.commit().await?;
            m
        };
        let title = match &update.title {
            Some(t) => clean_title(t)?,
            None => current.title.clone(),
        };
        let note = update.note.unwrap_or_else(|| "edited".into());
        if update.text.is_none() && update.parameters.is_none() {
            // Neither the text nor the criteria change: the criteria stay as they are, and
            // the text is neither read back nor read into criteria again.
            let (parameters, text_path) =
                (current.parameters.clone(), current.raw_text_path.clone());
            return self
                .next_version(current, title, parameters, text_path, &note)
                .await;
        }
        let explicit = match &update.parameters {
            Some(p) => explicit_criteria(p)?,
            None => explicit_criteria(
                current
                    .parameters
                    .get("explicit")
                    .unwrap_or(&serde_json::Value::Null),
            )?,
        };
        let engine = self.s.engine();
        let next = current.version + 1;
        let (text, text_path) = match update.text {
            Some(t) => {
                check_text(&t)?;
                let key = text_key(tenant, jd_id, next);
                engine
                    .put_sealed(tenant, &key, t.clone().into_bytes())
                    .await?;
                (Some(t), Some(key))
            }
            None => match &current.raw_text_path {
                Some(key) => (
                    Some(open_text(engine, tenant, key).await?),
                    Some(key.clone()),
                ),
                None => (None, None),
            },
        };
        let parameters = effective(engine, tenant, text.as_deref(), explicit).await?;
        self.next_version(current, title, parameters, text_path, &note)
            .await
    }

    /// Makes the state of `version` current again, as a new version (history is never
    /// rewritten).
    pub async fn restore(&self, jd_id: Uuid, version: i32) -> Result<JobDescription> {
        self.s.require(Permission::JdWrite)?;
        let tenant = self.s.tenant_id();
        let (current, old) = {
            let tx = self.s.begin_read().await?;
            let m = jd_model(&tx, tenant, jd_id).await?;
            let v = version_model(&tx, tenant, jd_id, version).await?;
            tx.commit().await?;
            (m, v)
        };
        self.next_version(
            current,
            old.title,
            old.parameters,
            old.raw_text_path,
            &format!("restored from v{version}"),
        )
        .await
    }

    /// The version history, oldest first.
    pub async fn versions(&self, jd_id: Uuid) -> Result<Vec<JdVersion>> {
        self.s.require(Permission::JdRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        jd_model(&tx, tenant, jd_id).await?;
        let rows = jd_versions::Entity::find()
            .filter(jd_versions::Column::TenantId.eq(tenant))
            .filter(jd_versions::Column::JdId.eq(jd_id))
            .order_by_asc(jd_versions::Column::Version)
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(JdVersion::from).collect())
    }

    /// The criteria of `version` (the current one when `None`).
    pub async fn criteria(&self, jd_id: Uuid, version: Option<i32>) -> Result<Criteria> {
        self.s.require(Permission::JdRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        let params = match version {
            Some(v) => version_model(&tx, tenant, jd_id, v).await?.parameters,
            None => jd_model(&tx, tenant, jd_id).await?.parameters,
        };
        tx.commit().await?;
        Ok(criteria_of(&params))
    }

    /// The current version's skills and requirements as rows.
    pub async fn requirements(&self, jd_id: Uuid) -> Result<Vec<JdRequirement>> {
        self.s.require(Permission::JdRead)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        jd_model(&tx, tenant, jd_id).await?;
        let skills = jd_skills::Entity::find()
            .filter(jd_skills::Column::TenantId.eq(tenant))
            .filter(jd_skills::Column::JdId.eq(jd_id))
            .order_by_asc(jd_skills::Column::Importance)
            .order_by_asc(jd_skills::Column::CreatedAt)
            .order_by_asc(jd_skills::Column::JdSkillId)
            .all(&tx)
            .await?;
        let reqs = jd_requirements::Entity::find()
            .filter(jd_requirements::Column::TenantId.eq(tenant))
            .filter(jd_requirements::Column::JdId.eq(jd_id))
            .order_by_asc(jd_requirements::Column::Position)
            .all(&tx)
            .await?;
        tx.commit().await?;
        let mut out: Vec<JdRequirement> = skills
            .into_iter()
            .map(|s| JdRequirement {
                kind: if s.importance == "must" {
                    "must_have".into()
                } else {
                    "nice_to_have".into()
                },
                value: s.skill,
                weight: s.weight,
                mandatory: false,
            })
            .collect();
        out.extend(reqs.into_iter().map(|r| JdRequirement {
            kind: r.kind,
            value: r.value,
            weight: r.weight,
            mandatory: r.mandatory,
        }));
        Ok(out)
    }

    /// A job description of this tenant; `NotFound` for another tenant's id.
    pub async fn get(&self, jd_id: Uuid) -> Result<JobDescription> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin_read().await?;
        let m = jd_model(&tx, self.s.tenant_id(), jd_id).await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// The tenant's job descriptions, newest first.
    pub async fn list(&self) -> Result<Vec<JobDescription>> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin_read().await?;
        let rows = job_descriptions::Entity::find()
            .filter(job_descriptions::Column::TenantId.eq(self.s.tenant_id()))
            .filter(job_descriptions::Column::IsDeleted.eq(false))
            .order_by_desc(job_descriptions::Column::CreatedAt)
            .order_by_desc(job_descriptions::Column::JdId)
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(JobDescription::from).collect())
    }

    /// The raw text of the current version, opened from the store; `None` if it has no
    /// text.
    pub async fn text(&self, jd_id: Uuid) -> Result<Option<String>> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin_read().await?;
        let m = jd_model(&tx, self.s.tenant_id(), jd_id).await?;
        tx.commit().await?;
        match m.raw_text_path {
            Some(key) => Ok(Some(
                open_text(self.s.engine(), self.s.tenant_id(), &key).await?,
            )),
            None => Ok(None),
        }
    }
}

async fn open_text(engine: &crate::Engine, tenant: Uuid, key: &str) -> Result<String> {
    let bytes = engine.get_opened(tenant, key).await?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Storage(format!("job description text at {key} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_parameters_are_checked() {
        assert_eq!(clean_title("  Rust engineer ").unwrap(), "Rust engineer");
        assert!(matches!(clean_title(" "), Err(Error::InvalidInput(_))));
        assert!(matches!(
            clean_title(&"x".repeat(MAX_TITLE_CHARS + 1)),
            Err(Error::InvalidInput(_))
        ));
        assert_eq!(
            explicit_criteria(&serde_json::Value::Null).unwrap().1,
            Criteria::default()
        );
        for bad in [
            serde_json::json!([1]),
            serde_json::json!({"min_years": "five"}),
            serde_json::json!({"min_years": 99}),
            serde_json::json!({"regexes": [{"pattern": "("}]}),
        ] {
            assert!(
                matches!(explicit_criteria(&bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        assert!(check_text(&"x".repeat(MAX_TEXT_BYTES + 1)).is_err());
    }

    #[test]
    fn stored_parameters_read_back_as_criteria() {
        let v = serde_json::json!({"must_have": ["Rust"], "explicit": {}, "source": "heuristic"});
        assert_eq!(criteria_of(&v).must_have, vec!["Rust"]);
        assert_eq!(criteria_of(&serde_json::json!("junk")), Criteria::default());
    }

    #[test]
    fn text_key_layout() {
        let (t, j) = (Uuid::nil(), Uuid::max());
        assert_eq!(
            text_key(t, j, 1),
            format!("t/{}/jd/{}/v1.md", Uuid::nil(), Uuid::max())
        );
    }
}
