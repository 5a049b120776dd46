//! Candidates: parsed resumes of the tenant, and parsing one file without a database.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{AsyncBlock, Buffer};
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::batch::ContentType;
use crate::error::{convert, promise, uuid};
use crate::llm::{JsLlm, LlmFunction, LlmPolicyOptions};

/// A job as stored for a candidate.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Experience {
    pub company: String,
    pub title: String,
    pub location: Option<String>,
    /// `YYYY-MM` or `YYYY`.
    pub start: Option<String>,
    pub end: Option<String>,
    pub is_current: bool,
}

/// A degree or course as stored for a candidate.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct EducationEntry {
    pub institution: String,
    pub degree: Option<String>,
    pub field: Option<String>,
    /// `associate`, `bachelor`, `master`, `doctorate` or `none`.
    pub level: Option<String>,
}

/// Contact details (personal data: only with `candidate_pii_read`).
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Contacts {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub urls: Vec<String>,
}

/// A candidate as a session sees it.
#[napi(object)]
#[derive(Debug, Serialize, Deserialize)]
pub struct Candidate {
    pub resume_id: String,
    pub storage_object_id: String,
    /// `raw`, `parsed`, `validated` or `scored`.
    pub status: String,
    /// `heuristic` or `llm`.
    pub parser: Option<String>,
    /// Months of work experience, overlaps counted once.
    pub experience_months: Option<i32>,
    pub flags: Vec<String>,
    pub experiences: Vec<Experience>,
    pub education: Vec<EducationEntry>,
    /// Declared skills, canonical names.
    pub skills: Vec<String>,
    /// Known technologies named in the work history, canonical names.
    pub technologies: Vec<String>,
    /// Absent unless the session holds `candidate_pii_read`.
    pub contacts: Option<Contacts>,
}

/// The candidates of the session's tenant (`candidate_read`).
#[napi]
pub struct Candidates {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Candidates {
    /// A candidate; contact details only with `candidate_pii_read`. Audited.
    #[napi]
    pub fn get(&self, env: &Env, resume_id: String) -> napi::Result<AsyncBlock<Candidate>> {
        let s = self.session.clone();
        promise(env, async move {
            convert(s.candidates().get(uuid("resumeId", &resume_id)?).await?)
        })
    }

    /// The resume ids of candidates with this e-mail (through its blind index). Needs
    /// `candidate_pii_read`, since the answer says that this person applied.
    #[napi]
    pub fn find_by_email(&self, env: &Env, email: String) -> napi::Result<AsyncBlock<Vec<String>>> {
        let s = self.session.clone();
        promise(env, async move {
            let ids = s.candidates().find_by_email(&email).await?;
            Ok(ids.into_iter().map(|id| id.to_string()).collect())
        })
    }

    /// Parses a stored upload (with the engine's model when it has one) and stores the
    /// candidate; content parsed before is not parsed again (`batch_write`).
    #[napi]
    pub fn parse_object(
        &self,
        env: &Env,
        storage_object_id: String,
    ) -> napi::Result<AsyncBlock<Candidate>> {
        let s = self.session.clone();
        promise(env, async move {
            let id = uuid("storageObjectId", &storage_object_id)?;
            let c = s.candidates().parse_object(id, s.engine().llm()).await?;
            convert(c)
        })
    }
}

/// Options of `parseDocument`.
#[napi(object, object_to_js = false)]
pub struct ParseOptions {
    /// A model to parse with, as for `Engine.connect`; heuristic parsing without it (and
    /// as the fallback when the model fails).
    #[napi(ts_type = "(request: LlmRequest) => Promise<string | LlmAnswer>")]
    pub llm: Option<LlmFunction>,
    pub llm_model: Option<String>,
    /// Only `timeoutMs` applies here: one call, no retries.
    pub llm_policy: Option<LlmPolicyOptions>,
}

/// Everything learned from one document.
#[napi(object)]
pub struct DocumentParse {
    /// The format, sniffed from the content.
    pub kind: ContentType,
    /// The extracted text (NFKC-normalised; hidden text kept out).
    pub text: String,
    /// The candidate as a JSON Resume (v1) document.
    #[napi(ts_type = "Record<string, unknown>")]
    pub resume: serde_json::Value,
    /// Months of work experience, overlaps counted once.
    pub experience_months: u32,
    /// `heuristic` or `llm`.
    pub parser: String,
    /// Things worth a human's attention: hidden text, LLM fallback, dropped values.
    pub flags: Vec<String>,
    pub warnings: Vec<String>,
}

/// Parses one resume file (PDF, DOCX, DOC, RTF, HTML or text) without a database or a
/// store. Rejects with `INVALID_INPUT` for content it cannot read.
#[napi]
pub fn parse_document(
    env: &Env,
    data: Buffer,
    options: Option<ParseOptions>,
) -> napi::Result<AsyncBlock<DocumentParse>> {
    let bytes = data.to_vec();
    let llm = options.and_then(|o| {
        let timeout = o
            .llm_policy
            .as_ref()
            .map(|p| p.to_policy().timeout)
            .unwrap_or_else(|| resumeflow::LlmPolicy::default().timeout);
        o.llm
            .map(|f| Arc::new(JsLlm::new(f, o.llm_model).with_timeout(timeout)))
    });
    promise(env, async move {
        let client = llm.as_deref().map(|c| c as &dyn resumeflow::LlmClient);
        let p = resumeflow::candidate::parse_document(
            bytes,
            client,
            Default::default(),
            resumeflow::candidate::current_month(),
        )
        .await?;
        Ok(DocumentParse {
            kind: convert(p.kind)?,
            text: p.text.text,
            resume: p.resume.to_json_resume(),
            experience_months: p.experience_months,
            parser: p.parser,
            flags: p.flags,
            warnings: p.warnings,
        })
    })
}
