//! The LLM parser: the host's model reads the resume, resumeflow keeps it honest.
//!
//! - Contact details are redacted before the text leaves the process (the name, e-mails,
//!   phone numbers and links become `[NAME]`, `[EMAIL_1]`, …) and filled back locally.
//! - The text is delimited as untrusted data in a user message; the system message holds
//!   only resumeflow's instructions and the schema.
//! - The answer must be JSON matching the `ParsedResume` schema; an answer that is not is
//!   retried at most twice, with the validation error fed back.
//! - Every extracted string must occur in the resume text; values that do not are dropped
//!   and counted (a model inventing an employer is worse than a model missing one).
//! - Any failure falls back to the heuristic parser's result, and the outcome says why.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use super::heuristic;
use super::model::ParsedResume;
use crate::llm::{LlmClient, LlmMessage, LlmRequest, LlmResponse, delimit_untrusted};

/// Attempts per resume: the first answer and at most two retries.
pub const MAX_ATTEMPTS: usize = 3;

/// What happened while parsing one resume with the LLM.
#[derive(Clone, Debug, Serialize)]
pub struct LlmParseOutcome {
    pub resume: ParsedResume,
    /// Which parser's result `resume` is: `llm` or `heuristic` (after a fallback).
    pub parser: &'static str,
    /// Why the heuristic result was used, when it was.
    pub fallback_reason: Option<String>,
    /// Every request sent (redacted text only) and every raw answer, in order.
    pub requests: Vec<LlmRequest>,
    pub responses: Vec<LlmResponse>,
    /// Values the model returned that do not occur in the resume text, dropped.
    pub dropped: Vec<String>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

fn email_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}")
}

fn url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)\b(?:https?://|www\.)[^\s<>()]+|\b(?:linkedin\.com|github\.com)/[^\s<>()]+",
    )
}

fn phone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // Digit groups with the usual phone separators; the digit count and the shape of date
    // ranges are checked in `is_phone`.
    re(&R, r"\+?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{1,5}\)?){2,5}")
}

/// A phone has 7 to 15 digits and is not a year range such as `2019 - 2021`.
fn is_phone(s: &str) -> bool {
    static YEARS: OnceLock<Regex> = OnceLock::new();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && !re(&YEARS, r"^(19|20)\d{2}\s*[-–]?\s*(19|20)\d{2}$").is_match(s.trim())
}

/// The text with contact details replaced by placeholders, and the placeholder table.
pub fn redact(text: &str, name: Option<&str>) -> (String, Vec<(String, String)>) {
    let mut table: Vec<(String, String)> = Vec::new();
    let mut out = text.to_owned();
    let mut replace_all = |out: &mut String, re: &Regex, prefix: &str, keep: fn(&str) -> bool| {
        let found: Vec<String> = re
            .find_iter(out)
            .map(|m| m.as_str().trim().to_owned())
            .filter(|s| keep(s))
            .collect();
        for value in found {
            if table.iter().any(|(_, v)| *v == value) {
                continue;
            }
            let n = table
                .iter()
                .filter(|(k, _)| k.starts_with(&format!("[{prefix}_")))
                .count()
                + 1;
            let key = format!("[{prefix}_{n}]");
            *out = out.replace(&value, &key);
            table.push((key, value));
        }
    };
    replace_all(&mut out, email_re(), "EMAIL", |_| true);
    replace_all(&mut out, url_re(), "URL", |_| true);
    replace_all(&mut out, phone_re(), "PHONE", is_phone);
    if let Some(name) = name.filter(|n| n.trim().chars().count() >= 3) {
        out = out.replace(name, "[NAME]");
        table.push(("[NAME]".into(), name.to_owned()));
    }
    (out, table)
}

fn schema() -> &'static serde_json::Value {
    static S: OnceLock<serde_json::Value> = OnceLock::new();
    S.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(ParsedResume)).expect("schema serialises")
    })
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(schema()).expect("the ParsedResume schema is valid"))
}

const INSTRUCTIONS: &str = "You extract structured data from resumes. Answer with one JSON \
object only, no prose, matching the JSON schema given below (JSON Resume field names: \
work[].name is the employer; dates are YYYY-MM or YYYY; a missing endDate means the job is \
current). Copy values exactly as the resume prints them; never invent, translate or \
complete a value; leave out what the resume does not say. Placeholders such as [NAME], \
[EMAIL_1], [PHONE_1] and [URL_1] stand for redacted contact details: copy them as they are.";

fn request(redacted: &str) -> LlmRequest {
    LlmRequest {
        purpose: "parse_resume".into(),
        messages: vec![
            LlmMessage {
                role: "system".into(),
                content: format!("{INSTRUCTIONS}\n\nJSON schema:\n{}", schema()),
            },
            LlmMessage {
                role: "user".into(),
                content: delimit_untrusted("resume", redacted),
            },
        ],
        json_schema: Some(schema().clone()),
        temperature: 0.0,
        max_tokens: Some(4096),
    }
}

/// The JSON object in an answer, tolerating code fences and prose around it.
pub(crate) fn json_of(text: &str) -> Result<serde_json::Value, String> {
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .unwrap_or(t);
    let t = t.strip_suffix("```").unwrap_or(t).trim();
    if let Ok(v) = serde_json::from_str(t) {
        return Ok(v);
    }
    match (t.find('{'), t.rfind('}')) {
        (Some(a), Some(b)) if a < b => {
            serde_json::from_str(&t[a..=b]).map_err(|e| format!("not valid JSON: {e}"))
        }
        _ => Err("the answer holds no JSON object".into()),
    }
}

fn check(value: &serde_json::Value) -> Result<ParsedResume, String> {
    let errors: Vec<String> = validator()
        .iter_errors(value)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the JSON does not match the schema: {}",
            errors.join("; ")
        ));
    }
    ParsedResume::from_json_resume(value)
        .map_err(|e| format!("the JSON does not fit the model: {e}"))
}

/// Folds text for "does this value occur in the resume" checks.
fn fold(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut space = true;
    for c in lower.chars() {
        if c.is_alphanumeric() || matches!(c, '+' | '#' | '&' | '.') {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.trim_end().to_owned()
}

/// Drops every value that does not occur in `text`; returns what was dropped.
fn drop_unsupported(r: &mut ParsedResume, text: &str) -> Vec<String> {
    let hay = fold(text);
    let occurs = |v: &str| {
        let f = fold(v);
        f.is_empty() || hay.contains(&f)
    };
    let mut dropped = Vec::new();
    let mut keep = |v: &mut Option<String>, what: &str| {
        if let Some(s) = v
            && !occurs(s)
        {
            dropped.push(format!("{what}: {s}"));
            *v = None;
        }
    };
    for w in &mut r.work {
        keep(&mut w.company, "work.name");
        keep(&mut w.position, "work.position");
        keep(&mut w.location, "work.location");
    }
    for e in &mut r.education {
        keep(&mut e.institution, "education.institution");
        keep(&mut e.study_type, "education.studyType");
        keep(&mut e.area, "education.area");
    }
    keep(&mut r.basics.label, "basics.label");
    keep(&mut r.basics.location.city, "basics.location.city");
    r.work
        .retain(|w| w.company.is_some() || w.position.is_some());
    r.education
        .retain(|e| e.institution.is_some() || e.study_type.is_some());
    for s in &mut r.skills {
        s.keywords.retain(|k| {
            let ok = occurs(k);
            if !ok {
                dropped.push(format!("skills.keywords: {k}"));
            }
            ok
        });
    }
    r.skills.retain(|s| {
        let ok = occurs(&s.name) || !s.keywords.is_empty();
        if !ok {
            dropped.push(format!("skills.name: {}", s.name));
        }
        ok
    });
    r.certificates.retain(|c| {
        let ok = occurs(&c.name);
        if !ok {
            dropped.push(format!("certificates.name: {}", c.name));
        }
        ok
    });
    r.projects.retain(|p| {
        let ok = occurs(&p.name);
        if !ok {
            dropped.push(format!("projects.name: {}", p.name));
        }
        ok
    });
    dropped
}

/// Replaces placeholders by the redacted values, and takes contact details the model did
/// not return from the heuristic parse.
fn fill_back(r: &mut ParsedResume, table: &[(String, String)], local: &ParsedResume) {
    let restore = |v: &mut Option<String>| {
        if let Some(s) = v {
            for (k, orig) in table {
                if s.contains(k.as_str()) {
                    *s = s.replace(k.as_str(), orig);
                }
            }
        }
    };
    restore(&mut r.basics.name);
    restore(&mut r.basics.email);
    restore(&mut r.basics.phone);
    restore(&mut r.basics.url);
    for p in &mut r.basics.profiles {
        restore(&mut p.url);
        restore(&mut p.username);
    }
    // Contact details come from the local parse, which saw the unredacted text.
    r.basics.name = local.basics.name.clone().or(r.basics.name.take());
    r.basics.email = local.basics.email.clone().or(r.basics.email.take());
    r.basics.phone = local.basics.phone.clone().or(r.basics.phone.take());
    r.basics.url = local.basics.url.clone().or(r.basics.url.take());
    if r.basics.profiles.is_empty() {
        r.basics.profiles = local.basics.profiles.clone();
    }
    let leaked = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| s.contains('[') && s.contains(']'))
    };
    if leaked(&r.basics.email) {
        r.basics.email = None;
    }
    if leaked(&r.basics.phone) {
        r.basics.phone = None;
    }
}

/// Parses `text` with the host's model; falls back to the heuristic parser on failure.
pub async fn parse(client: &dyn LlmClient, text: &str) -> LlmParseOutcome {
    let local = heuristic::parse_text(text);
    let (redacted, table) = redact(text, local.basics.name.as_deref());
    let asked = crate::llm::ask_checked(
        client,
        request(&redacted),
        MAX_ATTEMPTS,
        "Answer again with one JSON object matching the schema.",
        |answer| json_of(answer).and_then(|v| check(&v)),
    )
    .await;
    match asked.outcome {
        Ok(mut r) => {
            let dropped = drop_unsupported(&mut r, &redacted);
            fill_back(&mut r, &table, &local);
            LlmParseOutcome {
                resume: r,
                parser: "llm",
                fallback_reason: None,
                requests: asked.requests,
                responses: asked.responses,
                dropped,
            }
        }
        Err(why) => LlmParseOutcome {
            resume: local,
            parser: "heuristic",
            fallback_reason: Some(format!(
                "LLM parse failed after {} attempt(s): {why}",
                asked.requests.len()
            )),
            requests: asked.requests,
            responses: asked.responses,
            dropped: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::LlmError;
    use crate::llm::scripted::Scripted;

    const CV: &str = "Ada Lovelace\nada@example.com | +44 7700 900123 | https://github.com/ada\n\nExperience\nSenior Engineer, Analytical Engines Ltd\nJan 2020 - Present\nPython, PostgreSQL\n\nEducation\nUniversity of London, BSc Mathematics\n";

    const GOOD: &str = r#"{"basics":{"name":"[NAME]","email":"[EMAIL_1]"},
        "work":[{"name":"Analytical Engines Ltd","position":"Senior Engineer","startDate":"2020-01"},
                {"name":"Babbage Bank","position":"Quant","startDate":"2015-01","endDate":"2019-12"}],
        "education":[{"institution":"University of London","studyType":"BSc","area":"Mathematics"}],
        "skills":[{"name":"Python"},{"name":"Haskell"}]}"#;

    #[tokio::test]
    async fn good_answer_is_checked_and_contact_filled_back() {
        let client = Scripted::strs(vec![Ok(GOOD)]);
        let out = parse(&client, CV).await;
        assert_eq!(out.parser, "llm");
        // What left the process carried no contact detail.
        let sent = serde_json::to_string(&client.seen()[0]).unwrap();
        for secret in [
            "ada@example.com",
            "7700 900123",
            "github.com/ada",
            "Ada Lovelace",
        ] {
            assert!(!sent.contains(secret), "{secret} was sent to the LLM");
        }
        assert_eq!(client.seen()[0].messages[0].role, "system");
        assert!(
            !client.seen()[0].messages[0].content.contains("Analytical"),
            "resume text in the system prompt"
        );
        // Contact details come back from the local parse.
        assert_eq!(out.resume.basics.email.as_deref(), Some("ada@example.com"));
        assert_eq!(out.resume.basics.name.as_deref(), Some("Ada Lovelace"));
        // Invented values are dropped and counted.
        assert_eq!(out.resume.work.len(), 1);
        assert!(out.dropped.iter().any(|d| d.contains("Babbage Bank")));
        assert!(out.dropped.iter().any(|d| d.contains("Haskell")));
        assert_eq!(out.resume.skills.len(), 1);
    }

    #[tokio::test]
    async fn malformed_answers_are_retried_at_most_twice() {
        let client = Scripted::strs(vec![
            Ok("Sure! Here is the JSON you asked for"),
            Ok(r#"{"work": "not a list"}"#),
            Ok(GOOD),
        ]);
        let out = parse(&client, CV).await;
        assert_eq!(out.parser, "llm");
        assert_eq!(out.requests.len(), 3);
        let last = client.seen()[2].clone();
        assert!(
            last.messages
                .last()
                .unwrap()
                .content
                .contains("does not match the schema")
        );

        let client = Scripted::strs(vec![Ok("nope"), Ok("{"), Ok("[]"), Ok(GOOD)]);
        let out = parse(&client, CV).await;
        assert_eq!(out.parser, "heuristic");
        assert_eq!(out.requests.len(), MAX_ATTEMPTS);
        assert!(out.fallback_reason.unwrap().contains("3 attempt"));
        assert_eq!(out.resume, heuristic::parse_text(CV));
    }

    #[tokio::test]
    async fn a_failing_client_falls_back_and_says_so() {
        let client = Scripted::strs(vec![Err(LlmError::Transient("timeout".into()))]);
        let out = parse(&client, CV).await;
        assert_eq!(out.parser, "heuristic");
        assert!(out.fallback_reason.unwrap().contains("timeout"));
    }

    #[test]
    fn redaction_finds_contacts_but_not_dates() {
        let (r, table) = redact(
            "Jo Doe. Call +1 (415) 555-0132 or +49 (0)151 2345 6789, mail a.b@c.io, 2019 - 2021, 03/2019 - 11/2021, www.x.dev/me",
            Some("Jo Doe"),
        );
        assert!(
            r.contains("[PHONE_1]")
                && r.contains("[PHONE_2]")
                && r.contains("[EMAIL_1]")
                && r.contains("[URL_1]"),
            "{r}"
        );
        assert!(
            r.contains("2019 - 2021") && r.contains("03/2019 - 11/2021"),
            "{r}"
        );
        assert!(r.starts_with("[NAME]."), "{r}");
        assert_eq!(table.len(), 5);
    }

    #[test]
    fn json_is_found_in_fences_and_prose() {
        assert!(json_of("```json\n{\"work\": []}\n```").is_ok());
        assert!(json_of("Here you go: {\"work\": []} hope it helps").is_ok());
        assert!(json_of("no json").is_err());
    }
}
