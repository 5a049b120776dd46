//! Job descriptions with versions, and the criteria candidates are scored against.

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::{convert, convert_all, input, promise, uuid};

/// An education level, lowest first.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EducationLevel {
    None,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

/// A salary range as printed.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct SalaryRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// ISO 4217 code when the symbol says it (`USD` for `$`).
    pub currency: Option<String>,
    /// `year`, `month` or `hour`.
    pub period: Option<String>,
}

/// A keyword (whole words, case-insensitive) or regex requirement.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Requirement {
    pub pattern: String,
    pub weight: f64,
    /// A knock-out: missing it caps the score under the weightage profile's rules.
    pub mandatory: bool,
}

/// The criteria of a job description; an empty list or an absent value means "no
/// requirement of this kind".
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Criteria {
    pub title: Option<String>,
    /// Canonical skill names every candidate should have.
    pub must_have: Vec<String>,
    /// Canonical skill names that help.
    pub nice_to_have: Vec<String>,
    pub min_years: Option<f64>,
    pub min_education: Option<EducationLevel>,
    /// Job titles whose time counts as relevant experience.
    pub relevant_titles: Vec<String>,
    /// Job titles whose time never counts.
    pub exclude_titles: Vec<String>,
    /// Also count a job whose own text names a must-have skill.
    #[serde(default)]
    pub relevant_by_skills: bool,
    pub location: Option<String>,
    pub salary: Option<SalaryRange>,
    pub keywords: Vec<Requirement>,
    pub regexes: Vec<Requirement>,
}

/// Criteria as a job description stores them (the JSON of `parameters`, also the format
/// of `*.criteria.json` files): snake_case members, each optional. Hosts may keep members
/// of their own beside them.
#[napi(object, object_to_js = false)]
pub struct JdParameters {
    pub title: Option<String>,
    #[napi(js_name = "must_have")]
    pub must_have: Option<Vec<String>>,
    #[napi(js_name = "nice_to_have")]
    pub nice_to_have: Option<Vec<String>>,
    #[napi(js_name = "min_years")]
    pub min_years: Option<f64>,
    #[napi(js_name = "min_education")]
    pub min_education: Option<EducationLevel>,
    #[napi(js_name = "relevant_titles")]
    pub relevant_titles: Option<Vec<String>>,
    #[napi(js_name = "exclude_titles")]
    pub exclude_titles: Option<Vec<String>>,
    #[napi(js_name = "relevant_by_skills")]
    pub relevant_by_skills: Option<bool>,
    pub location: Option<String>,
    pub salary: Option<SalaryRange>,
    pub keywords: Option<Vec<Requirement>>,
    pub regexes: Option<Vec<Requirement>>,
}

/// A job description (its current version).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct JobDescription {
    pub jd_id: String,
    pub tenant_id: String,
    pub title: String,
    /// The criteria as stored (read from the text, given, or both).
    #[napi(ts_type = "JdParameters & Record<string, unknown>")]
    pub parameters: serde_json::Value,
    /// Whether a text is stored (read it with `text()`).
    pub has_text: bool,
    pub version: i32,
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One saved state of a job description.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct JdVersion {
    pub jd_id: String,
    pub version: i32,
    pub title: String,
    #[napi(ts_type = "JdParameters & Record<string, unknown>")]
    pub parameters: serde_json::Value,
    pub has_text: bool,
    pub changed_by: Option<String>,
    pub change_note: Option<String>,
    pub created_at: String,
}

/// A requirement row of the current version.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct JdRequirement {
    /// `must_have`, `nice_to_have`, `experience`, `education`, `location`, `salary`,
    /// `keyword` or `regex`.
    pub kind: String,
    pub value: String,
    pub weight: f64,
    pub mandatory: bool,
}

/// A new job description: a text (read into criteria by the model, or heuristically),
/// parameters, or both (given parameters win over what the text says).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct NewJobDescription {
    pub title: String,
    /// The posting, Markdown or plain text. Sealed at rest (it may hold contact details).
    pub text: Option<String>,
    #[napi(ts_type = "JdParameters & Record<string, unknown>")]
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
}

/// Changes that make a new version; absent fields stay as they are.
#[napi(object)]
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct JdUpdate {
    pub title: Option<String>,
    pub text: Option<String>,
    #[napi(ts_type = "JdParameters & Record<string, unknown>")]
    pub parameters: Option<serde_json::Value>,
    /// Why it changed, kept with the version.
    pub note: Option<String>,
}

/// The job descriptions of the session's tenant (`jd_read`, `jd_write`).
#[napi]
pub struct JobDescriptions {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl JobDescriptions {
    #[napi]
    pub fn create(
        &self,
        env: &Env,
        jd: NewJobDescription,
    ) -> napi::Result<AsyncBlock<JobDescription>> {
        let s = self.session.clone();
        promise(env, async move {
            let NewJobDescription {
                title,
                text,
                parameters,
            } = jd;
            let new = resumeflow::NewJobDescription {
                title,
                text,
                parameters: parameters.unwrap_or_default(),
            };
            convert(s.job_descriptions().create(new).await?)
        })
    }

    #[napi]
    pub fn get(&self, env: &Env, jd_id: String) -> napi::Result<AsyncBlock<JobDescription>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.job_descriptions().get(uuid("jdId", &jd_id)?).await?)
        })
    }

    #[napi]
    pub fn list(&self, env: &Env) -> napi::Result<AsyncBlock<Vec<JobDescription>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.job_descriptions().list().await?)
        })
    }

    /// The stored text of the current version, or `null`.
    #[napi]
    pub fn text(&self, env: &Env, jd_id: String) -> napi::Result<AsyncBlock<Option<String>>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(s.job_descriptions().text(uuid("jdId", &jd_id)?).await?)
        })
    }

    /// Saves a new version.
    #[napi]
    pub fn update(
        &self,
        env: &Env,
        jd_id: String,
        update: JdUpdate,
    ) -> napi::Result<AsyncBlock<JobDescription>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("jdId", &jd_id)?;
            convert(s.job_descriptions().update(id, input(update)?).await?)
        })
    }

    /// Makes `version` current again, as a new version.
    #[napi]
    pub fn restore(
        &self,
        env: &Env,
        jd_id: String,
        version: i32,
    ) -> napi::Result<AsyncBlock<JobDescription>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("jdId", &jd_id)?;
            convert(s.job_descriptions().restore(id, version).await?)
        })
    }

    /// Every version, oldest first.
    #[napi]
    pub fn versions(&self, env: &Env, jd_id: String) -> napi::Result<AsyncBlock<Vec<JdVersion>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.job_descriptions().versions(uuid("jdId", &jd_id)?).await?)
        })
    }

    /// The criteria of `version` (the current one when absent).
    #[napi]
    pub fn criteria(
        &self,
        env: &Env,
        jd_id: String,
        version: Option<i32>,
    ) -> napi::Result<AsyncBlock<Criteria>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("jdId", &jd_id)?;
            convert(s.job_descriptions().criteria(id, version).await?)
        })
    }

    /// The requirement rows of the current version.
    #[napi]
    pub fn requirements(
        &self,
        env: &Env,
        jd_id: String,
    ) -> napi::Result<AsyncBlock<Vec<JdRequirement>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(
                s.job_descriptions()
                    .requirements(uuid("jdId", &jd_id)?)
                    .await?,
            )
        })
    }
}
