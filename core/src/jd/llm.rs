//! Job description → criteria with the host's model.
//!
//! The model reads the posting (delimited as data) and answers with the criteria as JSON;
//! the answer is checked against a schema and by [`Criteria::validate`], retried with the
//! reason when it is rejected, and replaced by the heuristic extractor's criteria when it
//! never passes. A skill the model names must occur in the posting, so a model cannot add
//! requirements the recruiter did not write.

use std::sync::OnceLock;

use super::criteria::{Criteria, extract_criteria};
use crate::llm::{LlmClient, LlmMessage, LlmRequest, delimit_untrusted};

/// Calls per posting, the first included.
pub const MAX_ATTEMPTS: usize = 3;

/// Criteria from the model, or the heuristic fallback and why.
#[derive(Debug, Clone)]
pub struct CriteriaOutcome {
    pub criteria: Criteria,
    /// `llm` or `heuristic`.
    pub source: &'static str,
    pub fallback_reason: Option<String>,
    /// Skills the model named that the posting does not contain (dropped).
    pub dropped: Vec<String>,
}

fn schema() -> &'static serde_json::Value {
    static S: OnceLock<serde_json::Value> = OnceLock::new();
    S.get_or_init(|| {
        let req = serde_json::json!({
            "type": "object",
            "required": ["pattern"],
            "properties": {
                "pattern": {"type": "string", "minLength": 1},
                "weight": {"type": "number", "minimum": 0},
                "mandatory": {"type": "boolean"}
            }
        });
        serde_json::json!({
            "type": "object",
            "properties": {
                "title": {"type": ["string", "null"]},
                "must_have": {"type": "array", "items": {"type": "string"}},
                "nice_to_have": {"type": "array", "items": {"type": "string"}},
                "min_years": {"type": ["number", "null"], "minimum": 0, "maximum": 60},
                "min_education": {"enum": ["none", "associate", "bachelor", "master", "doctorate", null]},
                "relevant_titles": {"type": "array", "items": {"type": "string"}},
                "location": {"type": ["string", "null"]},
                "salary": {"type": ["object", "null"], "properties": {
                    "min": {"type": ["number", "null"]},
                    "max": {"type": ["number", "null"]},
                    "currency": {"type": ["string", "null"]},
                    "period": {"enum": ["year", "month", "hour", null]}
                }},
                "keywords": {"type": "array", "items": req},
                "regexes": {"type": "array", "items": req},
                "exclude_titles": {"type": "array", "items": {"type": "string"}},
                "relevant_by_skills": {"type": "boolean"}
            }
        })
    })
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(schema()).expect("the criteria schema is valid"))
}

const INSTRUCTIONS: &str = "You read job postings and list what they require. Answer with \
one JSON object only, matching the JSON schema below. must_have: skills, tools and \
certifications the posting requires; nice_to_have: those it only prefers; min_years: the \
minimum years of experience it asks for; min_education: the lowest degree it accepts; \
relevant_titles: job titles whose experience counts; keywords: other hard requirements as \
short phrases (mark mandatory ones). Copy skill names as the posting writes them; never \
add a requirement the posting does not state.";

fn request(text: &str) -> LlmRequest {
    LlmRequest {
        purpose: "extract_criteria".into(),
        messages: vec![
            LlmMessage {
                role: "system".into(),
                content: format!("{INSTRUCTIONS}\n\nJSON schema:\n{}", schema()),
            },
            LlmMessage {
                role: "user".into(),
                content: delimit_untrusted("job_posting", text),
            },
        ],
        json_schema: Some(schema().clone()),
        temperature: 0.0,
        max_tokens: Some(2048),
    }
}

fn check(answer: &str, posting: &str) -> Result<(Criteria, Vec<String>), String> {
    let value = crate::candidate::llm_parser::json_of(answer)?;
    let errors: Vec<String> = validator()
        .iter_errors(&value)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the JSON does not match the schema: {}",
            errors.join("; ")
        ));
    }
    let mut c: Criteria =
        serde_json::from_value(value).map_err(|e| format!("the JSON does not fit: {e}"))?;
    c.validate().map_err(|e| e.to_string())?;
    let folded = posting.to_lowercase();
    let named: Vec<&str> = crate::candidate::taxonomy::find_skills(posting)
        .into_iter()
        .map(|m| m.canonical)
        .collect();
    let mut dropped = Vec::new();
    for list in [&mut c.must_have, &mut c.nice_to_have] {
        list.retain(|s| {
            let in_posting = crate::candidate::taxonomy::canonical(s)
                .is_some_and(|canon| named.contains(&canon));
            let keep = in_posting || folded.contains(&s.trim().to_lowercase());
            if !keep {
                dropped.push(s.clone());
            }
            keep
        });
    }
    // The extractor's own judgement on which job titles count still applies.
    c.relevant_by_skills = true;
    Ok((c.canonicalized(), dropped))
}

/// Criteria for `text` from the model; the heuristic extractor's when the model fails.
pub async fn extract(client: &dyn LlmClient, text: &str) -> CriteriaOutcome {
    let asked = crate::llm::ask_checked(
        client,
        request(text),
        MAX_ATTEMPTS,
        "Answer again with one JSON object matching the schema.",
        |answer| check(answer, text),
    )
    .await;
    match asked.outcome {
        Ok((criteria, dropped)) => CriteriaOutcome {
            criteria,
            source: "llm",
            fallback_reason: None,
            dropped,
        },
        Err(why) => CriteriaOutcome {
            criteria: extract_criteria(text),
            source: "heuristic",
            fallback_reason: Some(format!("LLM criteria extraction failed: {why}")),
            dropped: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::scripted::Scripted;

    const POSTING: &str = "# Backend Engineer\n\n## Requirements\n- 5+ years building services in Rust or Go\n- PostgreSQL\n\n## Nice to have\n- Kubernetes\n";

    #[tokio::test]
    async fn a_good_answer_becomes_canonical_criteria_without_invented_skills() {
        let llm = Scripted::strs(vec![Ok(
            r#"{"must_have": ["PostgreSQL", "Rust", "COBOL"], "nice_to_have": ["k8s", "Kubernetes"], "min_years": 5}"#,
        )]);
        let out = extract(&llm, POSTING).await;
        assert_eq!(out.source, "llm");
        assert_eq!(out.criteria.must_have, vec!["PostgreSQL", "Rust"]);
        assert_eq!(out.dropped, vec!["COBOL"]);
        assert_eq!(
            out.criteria.nice_to_have,
            vec!["Kubernetes"],
            "k8s is Kubernetes"
        );
        assert_eq!(out.criteria.min_years, Some(5.0));
    }

    #[tokio::test]
    async fn bad_answers_are_retried_then_the_heuristic_answers() {
        let llm = Scripted::strs(vec![
            Ok("not json"),
            Ok(r#"{"min_years": 500}"#),
            Ok(r#"{"must_have": "PostgreSQL"}"#),
        ]);
        let out = extract(&llm, POSTING).await;
        assert_eq!(out.source, "heuristic");
        assert!(out.fallback_reason.unwrap().contains("schema"));
        assert_eq!(out.criteria, extract_criteria(POSTING));
        assert_eq!(llm.remaining(), 0, "three attempts were made");
    }

    #[tokio::test]
    async fn a_retry_can_recover() {
        let llm = Scripted::strs(vec![Ok("{"), Ok(r#"{"must_have": ["Go"]}"#)]);
        let out = extract(&llm, POSTING).await;
        assert_eq!(out.source, "llm");
        assert_eq!(out.criteria.must_have, vec!["Go"]);
    }
}
