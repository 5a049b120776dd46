//! Validation and normalisation of a parsed resume, and the one-call document parser.
//!
//! Pure except for [`parse_document`]'s optional LLM call: "now" is an argument.

use serde::{Deserialize, Serialize};

use super::model::{ParsedResume, Skill, YearMonth};
use super::{heuristic, llm_parser, normalize, taxonomy};
use crate::error::{Error, Result};
use crate::extract::{DocKind, ExtractError, ExtractLimits, ExtractedText};
use crate::llm::LlmClient;

/// A resume after validation, with what validation learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Validated {
    pub resume: ParsedResume,
    /// Months of work, overlapping jobs counted once, up to `as_of`.
    pub experience_months: u32,
    /// What was fixed or dropped, for the record.
    pub warnings: Vec<String>,
}

/// Normalises a parsed resume: e-mail lower-cased (or dropped when invalid), skills and
/// their keywords deduplicated by canonical name (the first printed form is kept, as JSON
/// Resume wants what the document prints; the tables store the canonical name beside
/// it), jobs whose end precedes their
/// start repaired by swapping, dates after `as_of` flagged; computes total experience.
pub fn validate(mut r: ParsedResume, as_of: YearMonth) -> Validated {
    let mut warnings = Vec::new();
    if let Some(e) = r.basics.email.take() {
        match normalize::email(&e) {
            Some(n) => r.basics.email = Some(n),
            None => warnings.push(format!(
                "dropped an invalid e-mail address ({} characters)",
                e.len()
            )),
        }
    }
    // Skills: one entry per canonical name; group headings keep their keywords.
    let mut seen = std::collections::HashSet::new();
    let mut skills = Vec::with_capacity(r.skills.len());
    let canon =
        |s: &str| taxonomy::canonical(s).map_or_else(|| s.trim().to_lowercase(), str::to_lowercase);
    for s in r.skills {
        let name = s.name.trim().to_owned();
        let mut keywords = Vec::new();
        for k in s.keywords {
            let k = k.trim().to_owned();
            if !k.is_empty() && seen.insert(canon(&k)) {
                keywords.push(k);
            }
        }
        let fresh = !name.is_empty() && seen.insert(canon(&name));
        if fresh || !keywords.is_empty() {
            skills.push(Skill {
                name,
                keywords,
                level: s.level,
            });
        }
    }
    r.skills = skills;
    for w in &mut r.work {
        if let (Some(s), Some(e)) = (w.start, w.end)
            && e < s
        {
            warnings.push(format!(
                "swapped the dates of a job ending {e} before it starts {s}"
            ));
            (w.start, w.end) = (Some(e), Some(s));
        }
        if w.start.is_some_and(|s| s > as_of) {
            warnings.push(format!("a job starts after {as_of}"));
        }
    }
    let ranges: Vec<(YearMonth, Option<YearMonth>)> = r
        .work
        .iter()
        .filter_map(|w| w.start.map(|s| (s, w.end)))
        .collect();
    let experience_months = normalize::experience_months(&ranges, as_of);
    Validated {
        resume: r,
        experience_months,
        warnings,
    }
}

/// Everything learned from one document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DocumentParse {
    pub kind: DocKind,
    pub text: ExtractedText,
    pub resume: ParsedResume,
    pub experience_months: u32,
    /// `heuristic` or `llm`.
    pub parser: String,
    /// Flags worth a human's attention: hidden text, LLM fallback, dropped values.
    pub flags: Vec<String>,
    pub warnings: Vec<String>,
    /// The LLM requests (redacted) and raw answers, when an LLM was used (for the
    /// store and the cache, never for display).
    pub llm_requests: Vec<crate::llm::LlmRequest>,
    pub llm_responses: Vec<crate::llm::LlmResponse>,
}

impl From<ExtractError> for Error {
    fn from(e: ExtractError) -> Self {
        Error::InvalidInput(format!("cannot read the document: {e}"))
    }
}

/// Sniffs, extracts, parses (with the LLM when given, else heuristically) and validates
/// one document. Blocking extraction runs on a blocking thread.
pub async fn parse_document(
    bytes: Vec<u8>,
    llm: Option<&dyn LlmClient>,
    limits: ExtractLimits,
    as_of: YearMonth,
) -> Result<DocumentParse> {
    let kind = crate::extract::sniff(&bytes).ok_or_else(|| {
        Error::InvalidInput("unsupported file type (PDF, DOCX, DOC, RTF, HTML or text)".into())
    })?;
    let text = tokio::task::spawn_blocking(move || crate::extract::extract(&bytes, kind, &limits))
        .await
        .map_err(|e| Error::InvalidInput(format!("extraction crashed: {e}")))??;
    let mut flags = Vec::new();
    if text.has_hidden_text() {
        flags.push(format!(
            "hidden_text: {} run(s) of text a reader cannot see",
            text.hidden.len()
        ));
    }
    let (resume, parser, requests, responses) = match llm {
        Some(client) => {
            let out = llm_parser::parse(client, &text.text).await;
            if let Some(why) = &out.fallback_reason {
                flags.push(format!("llm_fallback: {why}"));
            }
            if !out.dropped.is_empty() {
                flags.push(format!("llm_unsupported_values: {}", out.dropped.len()));
            }
            (
                out.resume,
                out.parser.to_owned(),
                out.requests,
                out.responses,
            )
        }
        None => (
            heuristic::parse(&text),
            "heuristic".to_owned(),
            Vec::new(),
            Vec::new(),
        ),
    };
    let v = validate(resume, as_of);
    Ok(DocumentParse {
        kind,
        text,
        resume: v.resume,
        experience_months: v.experience_months,
        parser,
        flags,
        warnings: v.warnings,
        llm_requests: requests,
        llm_responses: responses,
    })
}

/// This month, for `as_of` arguments (the one place the candidate module reads the clock).
pub fn current_month() -> YearMonth {
    use chrono::Datelike;
    let d = chrono::Utc::now().date_naive();
    YearMonth::new(d.year() as u16, d.month() as u8).expect("valid month")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::model::{Basics, Work};

    fn ym(y: u16, m: u8) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn validation_normalises_and_counts_overlaps_once() {
        let r = ParsedResume {
            basics: Basics {
                email: Some("Ada@Example.COM".into()),
                ..Default::default()
            },
            work: vec![
                Work {
                    start: Some(ym(2020, 1)),
                    end: Some(ym(2020, 12)),
                    ..Default::default()
                },
                Work {
                    start: Some(ym(2020, 7)),
                    end: Some(ym(2021, 6)),
                    ..Default::default()
                },
                Work {
                    start: Some(ym(2023, 6)),
                    end: Some(ym(2022, 1)),
                    ..Default::default()
                },
            ],
            skills: vec![
                Skill {
                    name: "k8s".into(),
                    ..Default::default()
                },
                Skill {
                    name: "Cloud".into(),
                    keywords: vec!["Kubernetes".into(), "Postgres".into()],
                    level: None,
                },
                Skill {
                    name: "JS".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let v = validate(r, ym(2026, 10));
        assert_eq!(v.resume.basics.email.as_deref(), Some("ada@example.com"));
        // 2020-01..2021-06 = 18 months, 2022-01..2023-06 = 18 months (after the swap).
        assert_eq!(v.experience_months, 36);
        assert!(v.warnings.iter().any(|w| w.contains("swapped")));
        let names: Vec<String> = normalize::skill_names(&v.resume.skills);
        assert_eq!(
            names.iter().filter(|n| n.as_str() == "Kubernetes").count(),
            1,
            "{names:?}"
        );
        assert!(
            names.contains(&"PostgreSQL".to_owned()) && names.contains(&"JavaScript".to_owned()),
            "{names:?}"
        );
        // The printed form stays: "k8s" came first, so the later "Kubernetes" keyword went.
        assert_eq!(v.resume.skills[0].name, "k8s");
        assert_eq!(v.resume.skills[1].keywords, vec!["Postgres".to_owned()]);
    }

    #[tokio::test]
    async fn parse_document_reads_text_and_refuses_garbage() {
        let cv = "Ana Lima\nana@example.org\n\nExperience\nData Engineer, Acme Corp\nJan 2021 - Present\n\nSkills\nPython, k8s\n";
        let p = parse_document(
            cv.as_bytes().to_vec(),
            None,
            ExtractLimits::default(),
            ym(2026, 10),
        )
        .await
        .unwrap();
        assert_eq!(p.parser, "heuristic");
        assert_eq!(p.resume.basics.email.as_deref(), Some("ana@example.org"));
        assert!(p.experience_months >= 60);
        let bad = parse_document(
            vec![0, 159, 146, 150, 0, 1, 2],
            None,
            ExtractLimits::default(),
            ym(2026, 10),
        )
        .await;
        assert!(matches!(bad, Err(Error::InvalidInput(_))));
    }
}
