//! What a job asks for, as data: [`Criteria`] (stored as `job_descriptions.parameters`),
//! the heuristic extractor [`extract_criteria`] that reads them from a posting's text, and
//! [`Criteria::merge`] that lays a host's explicit parameters over what was extracted.
//!
//! Pure: no I/O, no clock. Skill names are canonical taxonomy names after
//! [`Criteria::canonicalized`], so `"k8s"` in a posting and `"Kubernetes"` in a resume meet.
//! Relevant and excluded titles are matched by the scorer at a word start, case-insensitively,
//! so the extractor may store word stems ("financ" covers Finance and Financial).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::candidate::taxonomy;

/// Education levels, lowest first (the order is the comparison the scorer makes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EducationLevel {
    None,
    /// Associate degree or a diploma.
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

impl EducationLevel {
    /// 0 (none) to 4 (doctorate).
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The level a degree name states ("B.Sc.", "Master of Science", "PhD", "BSN", "MBA"),
    /// or `None` when it names no degree. The highest level named wins ("MD/PhD").
    pub fn from_degree(text: &str) -> Option<EducationLevel> {
        let t = text.to_lowercase();
        let words: Vec<String> = t
            .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '\''))
            .map(|w| w.trim_matches(|c| c == '.' || c == '\'').replace('.', ""))
            .filter(|w| !w.is_empty())
            .collect();
        let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
        let starts = |p: &[&str]| words.iter().any(|w| p.iter().any(|p| w.starts_with(p)));
        if starts(&["doctor", "phd"]) || has(&["dphil", "edd", "dba", "md", "dnp", "jd"]) {
            return Some(EducationLevel::Doctorate);
        }
        if starts(&["master"])
            || has(&[
                "msc", "ms", "ma", "mba", "meng", "msn", "mphil", "mpa", "mph", "mfa", "llm",
                "mcom", "mtech", "mres",
            ])
        {
            return Some(EducationLevel::Master);
        }
        if starts(&["bachelor", "baccalaur"])
            || has(&[
                "bsc",
                "bs",
                "ba",
                "beng",
                "bsn",
                "bba",
                "bcom",
                "btech",
                "bfa",
                "bed",
                "llb",
                "ab",
                "sb",
                "bachelors",
                "undergraduate",
            ])
        {
            return Some(EducationLevel::Bachelor);
        }
        if starts(&["associate", "diploma"]) || has(&["aas", "asn", "adn", "hnd", "aa", "as"]) {
            // "as" alone is too common a word; only count it beside "degree".
            if has(&["as", "aa"]) && !t.contains("degree") && !starts(&["associate", "diploma"]) {
                return None;
            }
            return Some(EducationLevel::Associate);
        }
        None
    }
}

/// A salary range as printed; amounts in the currency's unit per `period`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SalaryRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// ISO 4217 code when the symbol says it ("USD" for `$`).
    pub currency: Option<String>,
    /// "year", "month" or "hour".
    pub period: Option<String>,
}

/// A free requirement: a keyword (matched as whole words, case-insensitively) or a regex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub pattern: String,
    #[serde(default = "one")]
    pub weight: f64,
    /// A knock-out: missing it is reported in `LocalScore::knocked_out`.
    #[serde(default)]
    pub mandatory: bool,
}

fn one() -> f64 {
    1.0
}

impl Requirement {
    pub fn new(pattern: impl Into<String>, weight: f64, mandatory: bool) -> Self {
        Requirement {
            pattern: pattern.into(),
            weight,
            mandatory,
        }
    }
}

/// The criteria of a job description. Every field is optional; an empty list or `None`
/// means "no requirement of this kind". Unknown JSON members are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Criteria {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Canonical skill names every candidate should have.
    pub must_have: Vec<String>,
    /// Canonical skill names that help.
    pub nice_to_have: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_years: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_education: Option<EducationLevel>,
    /// Job titles whose time counts as relevant experience (word-start matches).
    pub relevant_titles: Vec<String>,
    /// Job titles whose time never counts; empty = [`DEFAULT_EXCLUDE_TITLES`].
    pub exclude_titles: Vec<String>,
    /// Also count a job whose own text (title, summary, highlights) names a must-have
    /// skill. The extractor sets it, because the titles it reads from a posting are a
    /// guess; explicit `relevant_titles` turn it off unless they set it too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub relevant_by_skills: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salary: Option<SalaryRange>,
    /// Keyword requirements, searched in the resume text as whole words.
    pub keywords: Vec<Requirement>,
    /// Regex requirements (Rust `regex` syntax), searched in the resume text.
    pub regexes: Vec<Requirement>,
}

/// Titles that are not yet (or not) the job itself: training, unpaid and teaching roles.
pub const DEFAULT_EXCLUDE_TITLES: &[&str] = &[
    "intern",
    "co-op",
    "student",
    "extern",
    "trainee",
    "apprentice",
    "volunteer",
    "summer",
    "lecturer",
    "instructor",
    "mentor",
];

/// The longest regex source accepted, and the compiled size limit.
const MAX_REGEX_CHARS: usize = 1_000;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why criteria are not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CriteriaError {
    #[error("regex requirement {pattern:?} does not compile: {reason}")]
    BadRegex { pattern: String, reason: String },
    #[error("min_years must be between 0 and 60, got {0}")]
    BadYears(f64),
    #[error("requirement {pattern:?} has weight {weight}; weights are finite and >= 0")]
    BadWeight { pattern: String, weight: f64 },
    #[error("a {0} requirement is empty")]
    Empty(&'static str),
    #[error("salary range minimum {min} is above its maximum {max}")]
    BadSalary { min: f64, max: f64 },
}

/// Compile a regex requirement under the size limits the scorer uses.
pub fn compile_regex(pattern: &str) -> Result<Regex, CriteriaError> {
    let bad = |reason: String| CriteriaError::BadRegex {
        pattern: pattern.to_string(),
        reason,
    };
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(bad(format!("longer than {MAX_REGEX_CHARS} characters")));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| bad(e.to_string()))
}

impl Criteria {
    /// Check what the scorer relies on: regexes compile, years and weights are sane.
    pub fn validate(&self) -> Result<(), CriteriaError> {
        if let Some(y) = self.min_years
            && !(y.is_finite() && (0.0..=60.0).contains(&y))
        {
            return Err(CriteriaError::BadYears(y));
        }
        for (kind, reqs) in [("keyword", &self.keywords), ("regex", &self.regexes)] {
            for r in reqs {
                if r.pattern.trim().is_empty() {
                    return Err(CriteriaError::Empty(kind));
                }
                if !(r.weight.is_finite() && r.weight >= 0.0) {
                    return Err(CriteriaError::BadWeight {
                        pattern: r.pattern.clone(),
                        weight: r.weight,
                    });
                }
            }
        }
        for r in &self.regexes {
            compile_regex(&r.pattern)?;
        }
        if self
            .must_have
            .iter()
            .chain(&self.nice_to_have)
            .any(|s| s.trim().is_empty())
        {
            return Err(CriteriaError::Empty("skill"));
        }
        if let Some(SalaryRange {
            min: Some(min),
            max: Some(max),
            ..
        }) = self.salary
            && min > max
        {
            return Err(CriteriaError::BadSalary { min, max });
        }
        Ok(())
    }

    /// Skill names mapped to their canonical taxonomy names (unknown names kept as given),
    /// duplicates dropped, and a nice-to-have that is also a must-have dropped.
    pub fn canonicalized(mut self) -> Criteria {
        let canon = |list: Vec<String>, seen: &mut HashSet<String>| -> Vec<String> {
            list.into_iter()
                .map(|s| {
                    let s = s.trim();
                    taxonomy::canonical(s).map_or_else(|| s.to_string(), str::to_string)
                })
                .filter(|s| !s.is_empty() && seen.insert(s.to_lowercase()))
                .collect()
        };
        let mut seen = HashSet::new();
        self.must_have = canon(std::mem::take(&mut self.must_have), &mut seen);
        self.nice_to_have = canon(std::mem::take(&mut self.nice_to_have), &mut seen);
        self
    }

    /// These (extracted) criteria with `explicit` laid over them: every field the explicit
    /// criteria set (a non-empty list, a `Some`) wins; the rest come from `self`.
    pub fn merge(self, explicit: Criteria) -> Criteria {
        fn list<T>(mine: Vec<T>, theirs: Vec<T>) -> Vec<T> {
            if theirs.is_empty() { mine } else { theirs }
        }
        Criteria {
            title: explicit.title.or(self.title),
            must_have: list(self.must_have, explicit.must_have),
            nice_to_have: list(self.nice_to_have, explicit.nice_to_have),
            min_years: explicit.min_years.or(self.min_years),
            min_education: explicit.min_education.or(self.min_education),
            relevant_by_skills: if explicit.relevant_titles.is_empty() {
                self.relevant_by_skills || explicit.relevant_by_skills
            } else {
                explicit.relevant_by_skills
            },
            relevant_titles: list(self.relevant_titles, explicit.relevant_titles),
            exclude_titles: list(self.exclude_titles, explicit.exclude_titles),
            location: explicit.location.or(self.location),
            salary: explicit.salary.or(self.salary),
            keywords: list(self.keywords, explicit.keywords),
            regexes: list(self.regexes, explicit.regexes),
        }
        // An extracted nice-to-have that the explicit must-haves name is dropped here.
        .canonicalized()
    }

    /// Exclusions in force: the given ones, or [`DEFAULT_EXCLUDE_TITLES`].
    pub fn effective_exclude_titles(&self) -> Vec<String> {
        if self.exclude_titles.is_empty() {
            DEFAULT_EXCLUDE_TITLES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            self.exclude_titles.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Intro,
    Must,
    Nice,
    Other,
}

fn classify_heading(h: &str) -> Section {
    let h = h.to_lowercase();
    let nice = [
        "nice to have",
        "nice-to-have",
        "preferred",
        "bonus",
        "plus",
        "desired",
        "desirable",
        "good to have",
        "optional",
        "would be great",
        "extra credit",
    ];
    let must = [
        "must have",
        "must-have",
        "requirement",
        "required",
        "qualification",
        "what you need",
        "what you bring",
        "what we're looking for",
        "what we are looking for",
        "who you are",
        "you have",
        "skills",
        "experience",
        "essential",
        "minimum",
    ];
    if nice.iter().any(|k| h.contains(k)) {
        Section::Nice
    } else if must.iter().any(|k| h.contains(k)) {
        Section::Must
    } else {
        Section::Other
    }
}

/// The heading text of a line, if it is one: `# X`, `**X**` alone, `X:` alone, or a short
/// line of heading words.
fn heading(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(h) = t.strip_prefix('#') {
        return Some(h.trim_start_matches('#').trim().to_string());
    }
    let unbold = t.trim_matches('*').trim_matches('_').trim();
    let bold_alone = t.starts_with("**") && t.ends_with("**") && !unbold.contains("**");
    let colon_alone = unbold.ends_with(':') && unbold.split_whitespace().count() <= 6;
    if bold_alone || colon_alone {
        return Some(unbold.trim_end_matches(':').trim().to_string());
    }
    None
}

static YEARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d{1,2})(?:\.\d)?\s*\+?\s*(?:(?:-|–|to)\s*\d{1,2}\s*)?(?:years?|yrs?)\b")
        .expect("years regex")
});
static WORDED_YEARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten)\s*\+?\s*(?:years?|yrs?)\b",
    )
    .expect("worded years regex")
});
static SALARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)([$€£])\s?(\d{1,3}(?:[,.]\d{3})+|\d+(?:\.\d+)?)\s*(k)?\s*(?:-|–|—|to)\s*[$€£]?\s?(\d{1,3}(?:[,.]\d{3})+|\d+(?:\.\d+)?)\s*(k)?(?:\s*(?:/|per|an?)\s*(hour|hr|year|yr|annum|month))?",
    )
    .expect("salary regex")
});
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:location|based in|office|where)\W*:[\s*]*(.+?)\s*$")
        .expect("location regex")
});

/// Words of a title that say nothing about the field ("Senior", "Engineer", "Manager").
const GENERIC_TITLE_WORDS: &[&str] = &[
    "senior",
    "junior",
    "lead",
    "staff",
    "principal",
    "head",
    "chief",
    "associate",
    "assistant",
    "engineer",
    "engineering",
    "analyst",
    "manager",
    "specialist",
    "consultant",
    "officer",
    "coordinator",
    "director",
    "executive",
    "professional",
    "experience",
    "experienced",
    "level",
    "mid",
    "entry",
    "full",
    "time",
    "part",
    "remote",
    "hybrid",
    "nights",
    "days",
    "unit",
    "team",
    "the",
    "and",
    "for",
    "with",
    "of",
    "in",
    "or",
    "a",
    "an",
    "years",
    "year",
    "related",
    "field",
    "strong",
    "solid",
    "proven",
    "hands",
    "on",
    "minimum",
    "least",
];

/// A title word as a matching stem: lower case, at most six characters, so "finance" and
/// "financial" (both "financ") meet at a word start.
fn title_stem(word: &str) -> Option<String> {
    let w: String = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '&')
        .collect();
    if w.chars().count() < 2 || GENERIC_TITLE_WORDS.contains(&w.as_str()) {
        return None;
    }
    if w.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(w.chars().take(6).collect())
}

fn worded(n: &str) -> f64 {
    match n.to_lowercase().as_str() {
        "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        _ => 10.0,
    }
}

fn amount(digits: &str, k: bool) -> Option<f64> {
    // "120,000" / "120.000" are thousands; "120.5" is a decimal.
    let grouped = digits.len() > 4 && digits.as_bytes()[digits.len() - 4] == b'.';
    let clean: String = if grouped {
        digits.chars().filter(|c| c.is_ascii_digit()).collect()
    } else {
        digits.chars().filter(|c| *c != ',').collect()
    };
    let v: f64 = clean.parse().ok()?;
    Some(if k { v * 1000.0 } else { v })
}

fn salary(text: &str) -> Option<SalaryRange> {
    let c = SALARY.captures(text)?;
    let k_hi = c.get(5).is_some();
    let k_lo = c.get(3).is_some() || k_hi;
    let min = amount(&c[2], k_lo)?;
    let max = amount(&c[4], k_hi)?;
    let currency = match &c[1] {
        "$" => "USD",
        "€" => "EUR",
        _ => "GBP",
    };
    let period = match c.get(6).map(|m| m.as_str().to_lowercase()) {
        Some(p) if p.starts_with('h') => "hour",
        Some(p) if p.starts_with('m') => "month",
        _ => "year",
    };
    Some(SalaryRange {
        min: Some(min),
        max: Some(max),
        currency: Some(currency.into()),
        period: Some(period.into()),
    })
}

/// Skill names in `line`, with a morphological second chance for one-word skills named
/// by their gerund ("owning a forecast" names Forecasting, "budget" names Budgeting).
fn skills_in(line: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = taxonomy::find_skills(line)
        .into_iter()
        .map(|m| m.canonical)
        .collect();
    for w in line.split(|c: char| !c.is_alphanumeric()) {
        if w.len() < 4 {
            continue;
        }
        let w = w.to_lowercase();
        let stem = w.strip_suffix('s').unwrap_or(&w);
        if let Some(c) = taxonomy::canonical(&format!("{stem}ing"))
            && taxonomy::taxonomy().source(c) == Some(taxonomy::Source::Manual)
            && !c.contains(' ')
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// The lowest degree a requirement line asks for ("Bachelor's or Master's" = bachelor).
fn degree_in(line: &str) -> Option<EducationLevel> {
    let l = line.to_lowercase();
    let mut levels: Vec<EducationLevel> = Vec::new();
    for part in l.split(['/', ',', '(', ')', ';']) {
        for piece in part.split(" or ") {
            if let Some(level) = EducationLevel::from_degree(piece) {
                levels.push(level);
            }
        }
    }
    if levels.is_empty() && (l.contains(" degree") || l.starts_with("degree")) {
        levels.push(EducationLevel::Bachelor);
    }
    levels.into_iter().min()
}

/// Criteria read from a posting in Markdown or plain text.
///
/// Sections are found by their headings: skills under "Must have" / "Requirements" /
/// "Qualifications" are must-haves, under "Nice to have" / "Preferred" / "Bonus"
/// nice-to-haves; skills elsewhere (title, responsibilities) are nice-to-haves. In a
/// requirement line, skills offered as alternatives ("A, B or C") and skills on the
/// years-of-experience line (which names a field, not a tool) are nice-to-haves. The
/// largest "N+ years" in the requirements is `min_years`; the lowest degree a requirement
/// names is `min_education`; relevant titles are the specific words of the posting's
/// title and of the field its years line names, and a job whose own text names a
/// must-have skill counts too (`relevant_by_skills`). Keyword and regex requirements are left
/// to explicit parameters.
pub fn extract_criteria(text: &str) -> Criteria {
    let mut c = Criteria::default();
    let mut section = Section::Intro;
    let mut any_must_section = false;
    let mut must: Vec<&'static str> = Vec::new();
    let mut nice: Vec<&'static str> = Vec::new();
    let mut other: Vec<&'static str> = Vec::new();
    let mut years_from_must: Option<f64> = None;
    let mut years_anywhere: Option<f64> = None;
    let mut title_words: Vec<String> = Vec::new();
    let mut degree: Option<EducationLevel> = None;
    let push = |v: &mut Vec<&'static str>, s: &'static str| {
        if !v.contains(&s) {
            v.push(s);
        }
    };
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if c.title.is_none() {
            let t = line.trim_start_matches('#').trim().trim_matches('*').trim();
            if !t.is_empty() {
                c.title = Some(t.to_string());
                for w in t.split(|ch: char| !(ch.is_alphanumeric() || ch == '&')) {
                    title_words.extend(title_stem(w));
                }
                other.extend(skills_in(t));
                continue;
            }
        }
        if let Some(h) = heading(line) {
            section = classify_heading(&h);
            any_must_section |= section == Section::Must;
            continue;
        }
        if c.location.is_none()
            && let Some(m) = LOCATION.captures(&line.replace("**", ""))
        {
            c.location = Some(m[1].trim().to_string());
        }
        if c.salary.is_none() {
            c.salary = salary(line);
        }
        let years = YEARS
            .captures(line)
            .and_then(|m| m[1].parse::<f64>().ok())
            .or_else(|| WORDED_YEARS.captures(line).map(|m| worded(&m[1])));
        if let Some(y) = years {
            years_anywhere = Some(years_anywhere.map_or(y, |a: f64| a.max(y)));
        }
        let found = skills_in(line);
        match section {
            Section::Must => {
                if let Some(y) = years {
                    years_from_must = Some(years_from_must.map_or(y, |a: f64| a.max(y)));
                    // "5+ years of software engineering" names the field of experience.
                    let lower = line.to_lowercase();
                    let field = lower
                        .split_once("year")
                        .map(|(_, rest)| rest)
                        .unwrap_or("")
                        .split(" experience")
                        .next()
                        .unwrap_or("");
                    for w in field.split(|ch: char| !(ch.is_alphanumeric() || ch == '&')) {
                        title_words.extend(title_stem(w));
                    }
                }
                if let Some(d) = degree_in(line) {
                    degree = Some(degree.map_or(d, |cur| cur.min(d)));
                    continue; // "Bachelor's in Computer Science": the field is not a skill
                }
                let lower = line.to_lowercase();
                // Alternatives ("A, B or C") are not each required; the years line names
                // a field unless it says a skill is required.
                let optional =
                    lower.contains(" or ") || (years.is_some() && !lower.contains("required"));
                for s in found {
                    push(if optional { &mut nice } else { &mut must }, s);
                }
            }
            Section::Nice => found.into_iter().for_each(|s| push(&mut nice, s)),
            Section::Intro | Section::Other => found.into_iter().for_each(|s| push(&mut other, s)),
        }
    }
    if !any_must_section {
        // No structure to go by: what the posting names is what it wants.
        must = other.clone();
        other.clear();
        if let Some(d) = degree_in(text) {
            degree = Some(d);
        }
    }
    let extra: Vec<&'static str> = other.into_iter().filter(|s| !nice.contains(s)).collect();
    nice.extend(extra);
    c.must_have = must.into_iter().map(str::to_string).collect();
    c.nice_to_have = nice.into_iter().map(str::to_string).collect();
    c.min_years = years_from_must.or(years_anywhere);
    c.min_education = degree;
    let mut seen = HashSet::new();
    c.relevant_by_skills = true;
    c.relevant_titles = title_words
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .collect();
    c.canonicalized()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTING: &str = "# Senior Backend Engineer (Go)\n\
        **Location:** Berlin or remote\n\
        Salary: $120,000 – $150,000 per year\n\n\
        ## What you will do\n\
        - Run services on AWS\n\n\
        ## Requirements\n\
        - 5+ years of backend development experience\n\
        - Strong Python and k8s\n\
        - Production experience with Postgres\n\
        - Kafka or RabbitMQ\n\
        - Bachelor's or Master's degree in Computer Science\n\n\
        ## Nice to have\n\
        - Terraform, Redis\n";

    #[test]
    fn extracts_sections_years_degree_salary_location() {
        let c = extract_criteria(POSTING);
        assert_eq!(c.title.as_deref(), Some("Senior Backend Engineer (Go)"));
        assert_eq!(c.must_have, ["Python", "Kubernetes", "PostgreSQL"]);
        for s in [
            "Terraform",
            "Redis",
            "Apache Kafka",
            "Go",
            "Amazon Web Services",
        ] {
            assert!(c.nice_to_have.iter().any(|n| n == s), "{s} in {c:?}");
        }
        assert_eq!(c.min_years, Some(5.0));
        assert_eq!(c.min_education, Some(EducationLevel::Bachelor));
        assert_eq!(c.location.as_deref(), Some("Berlin or remote"));
        let s = c.salary.unwrap();
        assert_eq!((s.min, s.max), (Some(120_000.0), Some(150_000.0)));
        assert_eq!(s.currency.as_deref(), Some("USD"));
        assert_eq!(s.period.as_deref(), Some("year"));
        assert!(c.relevant_titles.contains(&"backen".to_string()));
        assert!(!c.relevant_titles.contains(&"senior".to_string()));
    }

    #[test]
    fn gerund_skills_and_salary_in_k() {
        let c = extract_criteria("Analyst\n\nRequirements:\n- Own the forecast and the budget\n");
        assert_eq!(c.must_have, ["Forecasting", "Budgeting"]);
        let s = salary("pay €60k-75k").unwrap();
        assert_eq!((s.min, s.max), (Some(60_000.0), Some(75_000.0)));
        assert_eq!(s.currency.as_deref(), Some("EUR"));
        let s = salary("$45.50 - $60 per hour").unwrap();
        assert_eq!((s.min, s.period.as_deref()), (Some(45.5), Some("hour")));
    }

    #[test]
    fn degrees() {
        use EducationLevel::*;
        for (s, l) in [
            ("B.Sc. Computer Science", Some(Bachelor)),
            ("BSN", Some(Bachelor)),
            ("Bachelor of Science in Nursing", Some(Bachelor)),
            ("B.Com. (Economics)", Some(Bachelor)),
            ("MBA", Some(Master)),
            ("M.Sc.", Some(Master)),
            ("Master's degree", Some(Master)),
            ("Ph.D. Physics", Some(Doctorate)),
            ("Associate Degree in Nursing", Some(Associate)),
            ("Diploma in Nursing", Some(Associate)),
            ("High School", Option::None),
            ("as needed", Option::None),
        ] {
            assert_eq!(EducationLevel::from_degree(s), l, "{s}");
        }
        assert!(EducationLevel::Master > EducationLevel::Bachelor);
        assert_eq!(degree_in("Bachelor's or Master's degree"), Some(Bachelor));
    }

    #[test]
    fn merge_explicit_wins_and_canonicalizes() {
        let extracted = extract_criteria(POSTING);
        let explicit = Criteria {
            must_have: vec!["k8s".into(), "Terraform".into()],
            min_years: Some(3.0),
            ..Default::default()
        };
        let m = extracted.clone().merge(explicit);
        assert_eq!(m.must_have, ["Kubernetes", "Terraform"]);
        assert!(!m.nice_to_have.contains(&"Terraform".to_string()));
        assert_eq!(m.min_years, Some(3.0));
        assert!(m.relevant_by_skills, "extracted titles are still a guess");
        let titled = extracted.clone().merge(Criteria {
            relevant_titles: vec!["developer".into()],
            ..Default::default()
        });
        assert!(!titled.relevant_by_skills);
        assert_eq!(m.min_education, extracted.min_education);
        assert_eq!(m.location, extracted.location);
    }

    #[test]
    fn structured_json_round_trip_ignores_unknown_members() {
        let j = serde_json::json!({"id": "x", "must_have": ["Hyperion"], "min_years": 3,
            "min_education": "bachelor", "as_of": "2026-10",
            "regexes": [{"pattern": "(?i)\\bRN\\b", "mandatory": true}]});
        let c: Criteria = serde_json::from_value(j).unwrap();
        assert_eq!(c.min_education, Some(EducationLevel::Bachelor));
        assert_eq!(c.regexes[0].weight, 1.0);
        assert_eq!(c.clone().canonicalized().must_have, ["Oracle Hyperion"]);
        let back: Criteria = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn validation() {
        let ok = Criteria {
            min_years: Some(5.0),
            regexes: vec![Requirement::new(r"\bRN\b", 1.0, true)],
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        let bad_re = Criteria {
            regexes: vec![Requirement::new("(unclosed", 1.0, false)],
            ..Default::default()
        };
        assert!(matches!(
            bad_re.validate(),
            Err(CriteriaError::BadRegex { .. })
        ));
        for y in [-1.0, 61.0, f64::NAN] {
            let c = Criteria {
                min_years: Some(y),
                ..Default::default()
            };
            assert!(matches!(c.validate(), Err(CriteriaError::BadYears(_))));
        }
        let w = Criteria {
            keywords: vec![Requirement::new("RN", f64::INFINITY, false)],
            ..Default::default()
        };
        assert!(matches!(w.validate(), Err(CriteriaError::BadWeight { .. })));
        let s = Criteria {
            salary: Some(SalaryRange {
                min: Some(2.0),
                max: Some(1.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(s.validate(), Err(CriteriaError::BadSalary { .. })));
    }
}
