//! Employers of the tenant's candidates: queries, aliases, merges and splits.

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::{convert, convert_all, input, promise, uuid};

/// A seniority level, lowest first.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seniority {
    Intern,
    Junior,
    Mid,
    Senior,
    Lead,
    Principal,
    Manager,
    Director,
    Executive,
}

/// A manual alias decision.
#[napi(string_enum = "lowercase")]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AliasKind {
    Merge,
    Split,
}

/// A manual alias: this spelling is this employer, whatever the matcher would say.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct EmployerAlias {
    pub alias: String,
    pub kind: AliasKind,
    pub created_by: Option<String>,
    pub created_at: String,
}

/// An employer of the session's tenant.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Employer {
    pub employer_id: String,
    /// The name as first printed (or as given at a split).
    pub name: String,
    pub aliases: Vec<EmployerAlias>,
    /// Other spellings seen on the tenant's resumes, sorted.
    pub spellings: Vec<String>,
    /// Departments seen at this employer, sorted.
    pub departments: Vec<String>,
    /// Candidates with at least one experience here.
    pub candidate_count: i64,
}

/// One job of a candidate, with what it was linked to.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkedExperience {
    pub experience_id: String,
    /// 0-based order on the resume.
    pub position: i32,
    /// The company as printed.
    pub company: String,
    pub employer_id: Option<String>,
    /// The employer's canonical name.
    pub employer: Option<String>,
    pub department_id: Option<String>,
    pub department: Option<String>,
    /// The title as printed.
    pub title: String,
    pub employer_role_id: Option<String>,
    pub canonical_title: Option<String>,
    pub seniority: Option<Seniority>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub is_current: bool,
}

/// A candidate found by an employer query, with the experiences that matched.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct CandidateHit {
    pub resume_id: String,
    pub experiences: Vec<LinkedExperience>,
}

/// What `relink()` changed.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct RelinkReport {
    /// Experiences looked at.
    pub experiences: i64,
    /// Experiences whose employer, department or role changed.
    pub changed: i64,
}

/// Employer queries (`candidate_read`, audited) and decisions (`candidate_write`).
#[napi]
pub struct Employers {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Employers {
    #[napi]
    pub fn list(&self, env: &Env) -> napi::Result<AsyncBlock<Vec<Employer>>> {
        let s = self.session.clone();
        promise(env, async move { convert_all(s.employers().list().await?) })
    }

    #[napi]
    pub fn get(&self, env: &Env, employer_id: String) -> napi::Result<AsyncBlock<Employer>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.employers().get(uuid("employerId", &employer_id)?).await?)
        })
    }

    /// The employer a name resolves to (any spelling or alias), or `null`.
    #[napi]
    pub fn find(&self, env: &Env, name: String) -> napi::Result<AsyncBlock<Option<Employer>>> {
        let s = self.session.clone();
        promise(env, async move {
            match s.employers().find(&name).await? {
                Some(e) => Ok(Some(convert(e)?)),
                None => Ok(None),
            }
        })
    }

    /// Candidates who worked at the employer `name` resolves to.
    #[napi]
    pub fn candidates_by_employer(
        &self,
        env: &Env,
        name: String,
    ) -> napi::Result<AsyncBlock<Vec<CandidateHit>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.employers().candidates_by_employer(&name).await?)
        })
    }

    /// Candidates who worked in `department` of the employer `employer` resolves to.
    #[napi]
    pub fn candidates_by_department(
        &self,
        env: &Env,
        employer: String,
        department: String,
    ) -> napi::Result<AsyncBlock<Vec<CandidateHit>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(
                s.employers()
                    .candidates_by_department(&employer, &department)
                    .await?,
            )
        })
    }

    /// Candidates who held the role `title` anywhere (titles compared by their grouping
    /// key), at `seniority` when given.
    #[napi]
    pub fn candidates_by_title(
        &self,
        env: &Env,
        title: String,
        seniority: Option<Seniority>,
    ) -> napi::Result<AsyncBlock<Vec<CandidateHit>>> {
        let s = self.session.clone();
        promise(env, async move {
            let level = seniority.map(input).transpose()?;
            convert_all(s.employers().candidates_by_title(&title, level).await?)
        })
    }

    /// Makes `alias` (and its spellings) resolve to `employerId`.
    #[napi]
    pub fn add_alias(
        &self,
        env: &Env,
        alias: String,
        employer_id: String,
    ) -> napi::Result<AsyncBlock<Employer>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("employerId", &employer_id)?;
            convert(s.employers().add_alias(&alias, id).await?)
        })
    }

    /// Folds employer `from` into `into`.
    #[napi]
    pub fn merge(
        &self,
        env: &Env,
        from: String,
        into: String,
    ) -> napi::Result<AsyncBlock<Employer>> {
        let s = self.session.clone();
        promise(env, async move {
            let from = uuid("from", &from)?;
            let into = uuid("into", &into)?;
            convert(s.employers().merge(from, into).await?)
        })
    }

    /// Makes `alias` an employer of its own (named `name`, or the alias).
    #[napi]
    pub fn split(
        &self,
        env: &Env,
        alias: String,
        name: Option<String>,
    ) -> napi::Result<AsyncBlock<Employer>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.employers().split(&alias, name.as_deref()).await?)
        })
    }

    /// Links every experience again under the current aliases.
    #[napi]
    pub fn relink(&self, env: &Env) -> napi::Result<AsyncBlock<RelinkReport>> {
        let s = self.session.clone();
        promise(env, async move { convert(s.employers().relink().await?) })
    }
}
