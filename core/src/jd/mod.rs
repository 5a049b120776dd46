//! Job descriptions: versions, skills and requirements.
//!
//! This is the minimal API batches need: create a job description, read it back, list
//! them. Every saved state is a `jd_versions` row (the first included), so later edits
//! and restores have a history to work on. The raw text may hold a recruiter's contact
//! details, so it is sealed with the tenant's key in the object store, at
//! `t/{tenant}/jd/{jd}/v{version}.md`, and the database holds only that key.

pub mod criteria;
pub mod entity;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{new_id, now};
use crate::error::{Error, Result};
use crate::tenancy::Permission;
use entity::{jd_versions, job_descriptions};

/// The longest title accepted, in characters.
const MAX_TITLE_CHARS: usize = 300;

/// A job description as stored; its raw text is read with [`JobDescriptions::text`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobDescription {
    pub jd_id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    /// Structured criteria (skills, years, education, …) as given by the host.
    pub parameters: serde_json::Value,
    /// Whether raw text was stored with this version.
    pub has_text: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
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

/// What [`JobDescriptions::create`] needs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NewJobDescription {
    pub title: String,
    /// The job description as written (Markdown or plain text).
    #[serde(default)]
    pub text: Option<String>,
    /// A JSON object of structured criteria; `null` means none (`{}`).
    #[serde(default)]
    pub parameters: serde_json::Value,
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

fn validate(new: &NewJobDescription) -> Result<(String, serde_json::Value)> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err(Error::invalid("job description title must not be empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::invalid(format!(
            "job description title is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    let parameters = match &new.parameters {
        serde_json::Value::Null => serde_json::json!({}),
        p @ serde_json::Value::Object(_) => p.clone(),
        _ => {
            return Err(Error::invalid(
                "job description parameters must be a JSON object",
            ));
        }
    };
    Ok((title.to_owned(), parameters))
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
        let (title, parameters) = validate(&new)?;
        let tenant = self.s.tenant_id();
        let jd_id = new_id();
        let version = 1;
        let text_path = match new.text {
            Some(text) => {
                let key = text_key(tenant, jd_id, version);
                self.s
                    .engine()
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
        jd_versions::ActiveModel {
            jd_version_id: Set(new_id()),
            tenant_id: Set(tenant),
            jd_id: Set(jd_id),
            version: Set(version),
            title: Set(title),
            parameters: Set(parameters),
            raw_text_path: Set(text_path),
            changed_by: Set(Some(user)),
            change_note: Set(Some("created".into())),
            created_at: Set(t),
        }
        .insert(&tx)
        .await?;
        self.s
            .audit(
                &tx,
                "jd.create",
                "job_description",
                Some(jd_id),
                serde_json::json!({"version": version}),
            )
            .await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// A job description of this tenant; `NotFound` for another tenant's id.
    pub async fn get(&self, jd_id: Uuid) -> Result<JobDescription> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin().await?;
        let m = jd_model(&tx, self.s.tenant_id(), jd_id).await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// The tenant's job descriptions, newest first.
    pub async fn list(&self) -> Result<Vec<JobDescription>> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin().await?;
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

    /// The raw text of the current version, opened from the store; `None` if it was
    /// created without text.
    pub async fn text(&self, jd_id: Uuid) -> Result<Option<String>> {
        self.s.require(Permission::JdRead)?;
        let tx = self.s.begin().await?;
        let m = jd_model(&tx, self.s.tenant_id(), jd_id).await?;
        tx.commit().await?;
        let Some(key) = m.raw_text_path else {
            return Ok(None);
        };
        let bytes = self.s.engine().get_opened(self.s.tenant_id(), &key).await?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::Storage(format!("job description text at {key} is not UTF-8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = NewJobDescription {
            title: "  Rust engineer ".into(),
            ..Default::default()
        };
        assert_eq!(
            validate(&ok).unwrap(),
            ("Rust engineer".into(), serde_json::json!({}))
        );
        for bad in [
            NewJobDescription {
                title: " ".into(),
                ..Default::default()
            },
            NewJobDescription {
                title: "x".repeat(MAX_TITLE_CHARS + 1),
                ..Default::default()
            },
            NewJobDescription {
                title: "x".into(),
                text: None,
                parameters: serde_json::json!([1]),
            },
        ] {
            assert!(matches!(validate(&bad), Err(Error::InvalidInput(_))));
        }
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
