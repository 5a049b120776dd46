//! Candidates in the database: one `resumes` row per storage object (parsed once, reused
//! by every later batch), its normalised rows, and its contact details, encrypted.
//!
//! Artifacts (`t/{tenant}/resumes/{resume}/text.txt`, `…/parsed.json`, and the LLM's
//! requests and answers at `t/{tenant}/llm/{sha256 of request}.json`) are sealed with the
//! tenant's key before they reach the store. Every read of a candidate writes an audit row.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::{
    resume_contacts, resume_education, resume_experiences, resume_projects, resume_skills,
    resume_technologies, resumes,
};
use super::model::ParsedResume;
use super::taxonomy;
use super::validate::{DocumentParse, current_month, parse_document};
use crate::crypto::Aad;
use crate::db::{new_id, now};
use crate::engine::{Engine, Session};
use crate::error::{Error, Result};
use crate::ingest::entity::storage_objects;
use crate::llm::LlmClient;
use crate::tenancy::Permission;

/// A job as stored in `resume_experiences`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experience {
    pub company: String,
    pub title: String,
    pub location: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub is_current: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EducationEntry {
    pub institution: String,
    pub degree: Option<String>,
    pub field: Option<String>,
    /// associate, bachelor, master, doctorate, or none.
    pub level: Option<String>,
}

/// Contact details: only for callers holding `candidate_pii_read`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contacts {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub urls: Vec<String>,
}

/// A candidate as a session sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub resume_id: Uuid,
    pub storage_object_id: Uuid,
    /// raw, parsed, validated or scored.
    pub status: String,
    pub parser: Option<String>,
    pub experience_months: Option<i32>,
    pub flags: Vec<String>,
    pub experiences: Vec<Experience>,
    pub education: Vec<EducationEntry>,
    /// Declared skills, canonical names.
    pub skills: Vec<String>,
    /// Known technologies mentioned in the work history, canonical names.
    pub technologies: Vec<String>,
    /// None unless the caller may see personal data.
    pub contacts: Option<Contacts>,
}

fn education_level(study_type: Option<&str>) -> Option<&'static str> {
    let s = study_type?.to_lowercase();
    let has = |w: &[&str]| {
        w.iter()
            .any(|x| s.split(|c: char| !c.is_alphanumeric()).any(|t| t == *x) || s.contains(x))
    };
    Some(
        if has(&[
            "phd",
            "ph.d",
            "doctor",
            "doctorate",
            "dphil",
            "md",
            "jd",
            "edd",
        ]) {
            "doctorate"
        } else if has(&[
            "master", "msc", "m.sc", "mba", "ma", "ms", "meng", "m.eng", "mphil", "llm",
        ]) {
            "master"
        } else if has(&[
            "bachelor", "bsc", "b.sc", "ba", "bs", "beng", "b.eng", "bba", "bsn", "llb", "b.a",
            "b.s",
        ]) {
            "bachelor"
        } else if has(&["associate", "diploma", "hnd", "aas", "a.a", "a.s"]) {
            "associate"
        } else {
            "none"
        },
    )
}

pub(crate) fn contact_aad(tenant: Uuid, contact: Uuid) -> Aad<'static> {
    Aad {
        tenant,
        table: "resume_contacts",
        column: "value_ciphertext",
        row: contact,
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// SQL for the tenant's reusable resume of the content of the file row `files` (a table
/// name or alias in the enclosing query): one a validate step finished, so that a later
/// batch with the same content skips extraction and parsing. An expression yielding the
/// resume id, or NULL.
pub(crate) fn reusable_resume_sql(files: &str) -> String {
    format!(
        "(SELECT r.resume_id FROM resumes r WHERE r.tenant_id = {files}.tenant_id \
         AND r.storage_object_id = {files}.storage_object_id \
         AND r.status IN ('validated', 'scored') LIMIT 1)"
    )
}

/// What [`store_parse`] wrote.
pub(crate) struct Stored {
    pub resume_id: Uuid,
    /// False when the content's resume existed already (a concurrent parse won).
    pub created: bool,
    /// The JSON Resume stored as the resume's parsed form.
    pub json: serde_json::Value,
}

/// Writes a parsed document for a storage object: artifacts first (sealed, idempotent
/// keys), then every row in one transaction.
pub(crate) async fn store_parse(
    engine: &Engine,
    tenant: Uuid,
    storage_object_id: Uuid,
    parse: &DocumentParse,
) -> Result<Stored> {
    let resume_id = new_id();
    let text_key = format!("t/{tenant}/resumes/{resume_id}/text.txt");
    let json_key = format!("t/{tenant}/resumes/{resume_id}/parsed.json");
    engine
        .put_sealed(tenant, &text_key, parse.text.text.clone().into_bytes())
        .await?;
    let json_value = parse.resume.to_json_resume();
    let json = serde_json::to_vec(&json_value).map_err(|e| Error::invalid(e.to_string()))?;
    engine.put_sealed(tenant, &json_key, json).await?;
    // The LLM exchange: every request (redacted) with its raw answer, under the hash of
    // the first request, which is what a later identical parse would send again.
    let llm_key = match parse.llm_requests.first() {
        Some(first) => {
            let exchange: Vec<_> = parse
                .llm_requests
                .iter()
                .zip(&parse.llm_responses)
                .map(|(req, resp)| serde_json::json!({"request": req, "response": resp}))
                .collect();
            let body = serde_json::to_vec(&exchange).map_err(|e| Error::invalid(e.to_string()))?;
            let first = serde_json::to_vec(first).map_err(|e| Error::invalid(e.to_string()))?;
            let key = format!("t/{tenant}/llm/{}.json", hex::encode(Sha256::digest(first)));
            engine.put_sealed(tenant, &key, body).await?;
            Some(key)
        }
        None => None,
    };
    let tx = engine.begin(crate::db::Scope::Tenant(tenant)).await?;
    let t = now();
    // Parsed once per content: a concurrent parse of the same object keeps the first row.
    let inserted = resumes::Entity::insert(resumes::ActiveModel {
        resume_id: Set(resume_id),
        tenant_id: Set(tenant),
        storage_object_id: Set(storage_object_id),
        // Written with its rows in this one transaction, so no reader sees it raw or
        // parsed: it is validated when it appears.
        status: Set("validated".into()),
        extracted_text_path: Set(Some(text_key)),
        parsed_json_path: Set(Some(json_key)),
        parser: Set(Some(parse.parser.clone())),
        total_experience_months: Set(Some(parse.experience_months as i32)),
        flags: Set(serde_json::json!(parse.flags)),
        created_at: Set(t),
        updated_at: Set(t),
        is_deleted: Set(false),
        deleted_at: Set(None),
        llm_response_path: Set(llm_key),
    })
    .on_conflict(
        OnConflict::columns([resumes::Column::TenantId, resumes::Column::StorageObjectId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if inserted == 0 {
        tx.rollback().await?;
        let tx = engine.begin(crate::db::Scope::Tenant(tenant)).await?;
        let existing = resumes::Entity::find()
            .filter(resumes::Column::TenantId.eq(tenant))
            .filter(resumes::Column::StorageObjectId.eq(storage_object_id))
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found("resume of storage object", storage_object_id))?;
        tx.commit().await?;
        return Ok(Stored {
            resume_id: existing.resume_id,
            created: false,
            json: json_value,
        });
    }
    let learned = insert_rows(&tx, engine, tenant, resume_id, &parse.resume).await?;
    tx.commit().await?;
    learned.teach(engine.employer_index(), tenant).await;
    Ok(Stored {
        resume_id,
        created: true,
        json: json_value,
    })
}

async fn insert_rows<C: ConnectionTrait>(
    tx: &C,
    engine: &Engine,
    tenant: Uuid,
    resume_id: Uuid,
    r: &ParsedResume,
) -> Result<crate::employer::persist::Learned> {
    let t = now();
    // Employers, departments, roles and projects done at a job: resolved against this
    // tenant's employers and aliases, missing rows created in this transaction.
    let links = crate::employer::persist::link_resume(
        tx,
        engine.employer_index(),
        tenant,
        &r.work,
        &r.projects,
    )
    .await?;
    // The resume's rows, one statement per table (one for all of them on PostgreSQL).
    let mut inserts = crate::db::Chain::default();
    let mut experience_ids = Vec::with_capacity(r.work.len());
    let mut experiences = Vec::with_capacity(r.work.len());
    for (i, (w, link)) in r.work.iter().zip(&links.experiences).enumerate() {
        let experience_id = new_id();
        experience_ids.push(experience_id);
        experiences.push(resume_experiences::ActiveModel {
            experience_id: Set(experience_id),
            tenant_id: Set(tenant),
            resume_id: Set(resume_id),
            position: Set(i as i32),
            company_raw: Set(w.company.clone().unwrap_or_default()),
            title_raw: Set(w.position.clone().unwrap_or_default()),
            employer_id: Set(link.employer_id),
            department_id: Set(link.department_id),
            employer_role_id: Set(link.employer_role_id),
            location: Set(w.location.clone()),
            start_date: Set(w.start.map(|d| d.to_string())),
            end_date: Set(w.end.map(|d| d.to_string())),
            is_current: Set(w.start.is_some() && w.end.is_none()),
            summary: Set(w.summary.clone()),
            highlights: Set(serde_json::json!(w.highlights)),
            created_at: Set(t),
        });
    }
    inserts.add(experiences);
    let mut projects = Vec::with_capacity(r.projects.len());
    for (p, link) in r.projects.iter().zip(&links.projects) {
        projects.push(resume_projects::ActiveModel {
            project_id: Set(new_id()),
            tenant_id: Set(tenant),
            resume_id: Set(resume_id),
            experience_id: Set(link.map(|l| experience_ids[l.work_index])),
            employer_project_id: Set(link.map(|l| l.employer_project_id)),
            name: Set(p.name.clone()),
            description: Set(p.description.clone()),
            keywords: Set(serde_json::json!(p.keywords)),
            url: Set(None),
            start_date: Set(p.start.map(|d| d.to_string())),
            end_date: Set(p.end.map(|d| d.to_string())),
            created_at: Set(t),
        });
    }
    inserts.add(projects);
    let mut education = Vec::with_capacity(r.education.len());
    for e in &r.education {
        education.push(resume_education::ActiveModel {
            education_id: Set(new_id()),
            tenant_id: Set(tenant),
            resume_id: Set(resume_id),
            institution: Set(e.institution.clone().unwrap_or_default()),
            degree: Set(e.study_type.clone()),
            field: Set(e.area.clone()),
            level: Set(education_level(e.study_type.as_deref()).map(str::to_owned)),
            start_date: Set(e.start.map(|d| d.to_string())),
            end_date: Set(e.end.map(|d| d.to_string())),
            score: Set(e.score.clone()),
            created_at: Set(t),
        });
    }
    inserts.add(education);
    let mut seen = std::collections::HashSet::new();
    let mut skills = Vec::new();
    for s in &r.skills {
        for raw in std::iter::once(&s.name).chain(&s.keywords) {
            let name =
                taxonomy::canonical(raw).map_or_else(|| raw.trim().to_owned(), str::to_owned);
            if name.is_empty() || !seen.insert(name.to_lowercase()) {
                continue;
            }
            let group = (!s.keywords.is_empty() && raw != &s.name).then(|| s.name.clone());
            skills.push(resume_skills::ActiveModel {
                skill_id: Set(new_id()),
                tenant_id: Set(tenant),
                resume_id: Set(resume_id),
                name: Set(name),
                raw: Set(Some(raw.clone())),
                group_name: Set(group),
                level: Set(s.level.clone()),
                created_at: Set(t),
            });
        }
    }
    inserts.add(skills);
    let work_text: String = r
        .work
        .iter()
        .flat_map(|w| {
            w.summary
                .iter()
                .chain(w.highlights.iter())
                .chain(w.position.iter())
        })
        .chain(
            r.projects
                .iter()
                .flat_map(|p| p.description.iter().chain(p.keywords.iter())),
        )
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    let mut techs = std::collections::BTreeMap::new();
    for m in taxonomy::find_skills(&work_text) {
        techs
            .entry(m.canonical.to_lowercase())
            .or_insert((m.canonical, work_text[m.start..m.end].to_owned()));
    }
    let mut technologies = Vec::with_capacity(techs.len());
    for (_, (name, raw)) in techs {
        technologies.push(resume_technologies::ActiveModel {
            technology_id: Set(new_id()),
            tenant_id: Set(tenant),
            resume_id: Set(resume_id),
            name: Set(name.to_owned()),
            raw: Set(Some(raw)),
            category: Set(None),
            created_at: Set(t),
        });
    }
    inserts.add(technologies);
    // Contact details: ciphertext only; e-mail and phone get blind indexes for lookup.
    let b = &r.basics;
    let mut contacts: Vec<(&str, String, Option<String>)> = Vec::new();
    if let Some(n) = &b.name {
        contacts.push(("name", n.clone(), None));
    }
    if let Some(e) = &b.email {
        let idx = engine
            .keys()
            .blind_index(tenant, "email", &crate::crypto::normalize_email(e))
            .await?;
        contacts.push(("email", e.clone(), Some(idx)));
    }
    if let Some(p) = &b.phone {
        let idx = engine
            .keys()
            .blind_index(tenant, "phone", &digits(p))
            .await?;
        contacts.push(("phone", p.clone(), Some(idx)));
    }
    for u in b
        .url
        .iter()
        .chain(b.profiles.iter().filter_map(|p| p.url.as_ref()))
    {
        contacts.push(("url", u.clone(), None));
    }
    if let Some(city) = &b.location.city {
        contacts.push(("location", city.clone(), None));
    }
    let key = engine.keys().current(tenant).await?;
    let mut rows = Vec::with_capacity(contacts.len());
    for (kind, value, index) in contacts {
        let id = new_id();
        let ciphertext = crate::crypto::seal(&key, contact_aad(tenant, id), value.as_bytes())?;
        rows.push(resume_contacts::ActiveModel {
            contact_id: Set(id),
            tenant_id: Set(tenant),
            resume_id: Set(resume_id),
            kind: Set(kind.into()),
            value_ciphertext: Set(ciphertext),
            blind_index: Set(index),
            key_id: Set(key.id.clone()),
            created_at: Set(t),
        });
    }
    inserts.add(rows);
    inserts.exec(tx).await?;
    Ok(links.learned)
}

/// The candidates of the session's tenant.
pub struct Candidates<'a> {
    s: &'a Session,
}

impl Session {
    pub fn candidates(&self) -> Candidates<'_> {
        Candidates { s: self }
    }
}

impl Candidates<'_> {
    /// Parses the stored upload `storage_object_id` (with the host's LLM when given) and
    /// stores the candidate. Parsed once: if this content already has a resume, that
    /// resume is returned and nothing is parsed again.
    pub async fn parse_object(
        &self,
        storage_object_id: Uuid,
        llm: Option<&dyn LlmClient>,
    ) -> Result<Candidate> {
        self.s.require(Permission::BatchWrite)?;
        let tenant = self.s.tenant_id();
        let tx = self.s.begin_read().await?;
        let object = storage_objects::Entity::find()
            .filter(storage_objects::Column::TenantId.eq(tenant))
            .filter(storage_objects::Column::StorageObjectId.eq(storage_object_id))
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found("storage object", storage_object_id))?;
        let existing = resumes::Entity::find()
            .filter(resumes::Column::TenantId.eq(tenant))
            .filter(resumes::Column::StorageObjectId.eq(storage_object_id))
            .one(&tx)
            .await?;
        tx.commit().await?;
        let resume_id = match existing {
            Some(r) if r.status != "raw" => r.resume_id,
            _ => {
                let bytes = self
                    .s
                    .engine()
                    .get_opened(tenant, &object.storage_path)
                    .await?;
                let parse = parse_document(bytes, llm, Default::default(), current_month()).await?;
                store_parse(self.s.engine(), tenant, storage_object_id, &parse)
                    .await?
                    .resume_id
            }
        };
        self.get(resume_id).await
    }

    /// A candidate; contact details only with `candidate_pii_read`. Audited.
    pub async fn get(&self, resume_id: Uuid) -> Result<Candidate> {
        self.s.require(Permission::CandidateRead)?;
        let pii = self.s.can(Permission::CandidatePiiRead);
        let tenant = self.s.tenant_id();
        let tx = self.s.begin().await?;
        let r = resumes::Entity::find()
            .filter(resumes::Column::TenantId.eq(tenant))
            .filter(resumes::Column::ResumeId.eq(resume_id))
            .filter(resumes::Column::IsDeleted.eq(false))
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found("candidate", resume_id))?;
        let experiences = resume_experiences::Entity::find()
            .filter(resume_experiences::Column::TenantId.eq(tenant))
            .filter(resume_experiences::Column::ResumeId.eq(resume_id))
            .order_by_asc(resume_experiences::Column::Position)
            .all(&tx)
            .await?
            .into_iter()
            .map(|e| Experience {
                company: e.company_raw,
                title: e.title_raw,
                location: e.location,
                start: e.start_date,
                end: e.end_date,
                is_current: e.is_current,
            })
            .collect();
        let education = resume_education::Entity::find()
            .filter(resume_education::Column::TenantId.eq(tenant))
            .filter(resume_education::Column::ResumeId.eq(resume_id))
            .all(&tx)
            .await?
            .into_iter()
            .map(|e| EducationEntry {
                institution: e.institution,
                degree: e.degree,
                field: e.field,
                level: e.level,
            })
            .collect();
        let skills = resume_skills::Entity::find()
            .filter(resume_skills::Column::TenantId.eq(tenant))
            .filter(resume_skills::Column::ResumeId.eq(resume_id))
            .order_by_asc(resume_skills::Column::CreatedAt)
            .all(&tx)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect();
        let technologies = resume_technologies::Entity::find()
            .filter(resume_technologies::Column::TenantId.eq(tenant))
            .filter(resume_technologies::Column::ResumeId.eq(resume_id))
            .order_by_asc(resume_technologies::Column::Name)
            .all(&tx)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect();
        let contacts = if pii {
            let rows = resume_contacts::Entity::find()
                .filter(resume_contacts::Column::TenantId.eq(tenant))
                .filter(resume_contacts::Column::ResumeId.eq(resume_id))
                .order_by_asc(resume_contacts::Column::CreatedAt)
                .all(&tx)
                .await?;
            let mut c = Contacts::default();
            for row in rows {
                let plain = self
                    .s
                    .engine()
                    .keys()
                    .open(contact_aad(tenant, row.contact_id), &row.value_ciphertext)
                    .await?;
                let v = String::from_utf8(plain)
                    .map_err(|_| Error::Crypto("contact is not UTF-8".into()))?;
                match row.kind.as_str() {
                    "name" => c.name = Some(v),
                    "email" => c.email = Some(v),
                    "phone" => c.phone = Some(v),
                    "url" | "profile" => c.urls.push(v),
                    _ => {}
                }
            }
            Some(c)
        } else {
            None
        };
        self.s
            .audit(
                &tx,
                "resume.read",
                "resume",
                Some(resume_id),
                serde_json::json!({"pii": pii}),
            )
            .await?;
        tx.commit().await?;
        Ok(Candidate {
            resume_id,
            storage_object_id: r.storage_object_id,
            status: r.status,
            parser: r.parser,
            experience_months: r.total_experience_months,
            flags: serde_json::from_value(r.flags).unwrap_or_default(),
            experiences,
            education,
            skills,
            technologies,
            contacts,
        })
    }

    /// The candidates whose e-mail is `email` (through its blind index). Needs
    /// `candidate_pii_read`: the answer says that this person applied.
    pub async fn find_by_email(&self, email: &str) -> Result<Vec<Uuid>> {
        self.s.require(Permission::CandidatePiiRead)?;
        let tenant = self.s.tenant_id();
        let idx = self
            .s
            .engine()
            .keys()
            .blind_index(tenant, "email", &crate::crypto::normalize_email(email))
            .await?;
        let tx = self.s.begin().await?;
        let ids: Vec<Uuid> = resume_contacts::Entity::find()
            .filter(resume_contacts::Column::TenantId.eq(tenant))
            .filter(resume_contacts::Column::Kind.eq("email"))
            .filter(resume_contacts::Column::BlindIndex.eq(idx))
            .all(&tx)
            .await?
            .into_iter()
            .map(|c| c.resume_id)
            .collect();
        self.s
            .audit(
                &tx,
                "resume.lookup",
                "resume",
                None,
                serde_json::json!({"by": "email", "found": ids.len()}),
            )
            .await?;
        tx.commit().await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn education_levels() {
        assert_eq!(
            education_level(Some("Bachelor of Science")),
            Some("bachelor")
        );
        assert_eq!(education_level(Some("B.Sc.")), Some("bachelor"));
        assert_eq!(education_level(Some("MBA")), Some("master"));
        assert_eq!(education_level(Some("Ph.D.")), Some("doctorate"));
        assert_eq!(
            education_level(Some("Associate Degree in Nursing")),
            Some("associate")
        );
        assert_eq!(education_level(Some("High School")), Some("none"));
        assert_eq!(education_level(None), None);
    }
}
