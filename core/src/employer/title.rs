//! Job-title normalisation (pure logic: no database, no I/O, no clock).
//!
//! "Sr. SWE II", "Senior Software Engineer" and "SOFTWARE ENGINEER III" are the same role at
//! (about) the same level. [`normalize_title`] returns
//!
//! * `canonical`: the title for people, abbreviations expanded ("Sr." -> "Senior",
//!   "SWE" -> "Software Engineer", "VP" -> "Vice President"), other words as printed
//!   (ALL-CAPS or all-lowercase titles are title-cased, known acronyms kept upper-case);
//! * `seniority`: one of nine levels, from explicit markers only ([`Seniority`]);
//! * `key`: the role without level markers, for grouping ("software engineer" for all
//!   three above): folded, accent-free, punctuation-free.
//!
//! Invariants: `normalize_title` is deterministic and idempotent on `canonical`
//! (normalising a canonical title gives the same canonical title, seniority and key).

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Seniority levels, lowest first. Serialised as lowercase strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

impl Seniority {
    /// Every level, lowest first.
    pub const ALL: [Seniority; 9] = [
        Seniority::Intern,
        Seniority::Junior,
        Seniority::Mid,
        Seniority::Senior,
        Seniority::Lead,
        Seniority::Principal,
        Seniority::Manager,
        Seniority::Director,
        Seniority::Executive,
    ];

    /// The level named `s` (its [`Seniority::as_str`] form).
    pub fn parse(s: &str) -> Option<Seniority> {
        Seniority::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The serialised name ("intern", ..., "executive").
    pub fn as_str(self) -> &'static str {
        match self {
            Seniority::Intern => "intern",
            Seniority::Junior => "junior",
            Seniority::Mid => "mid",
            Seniority::Senior => "senior",
            Seniority::Lead => "lead",
            Seniority::Principal => "principal",
            Seniority::Manager => "manager",
            Seniority::Director => "director",
            Seniority::Executive => "executive",
        }
    }
}

impl std::fmt::Display for Seniority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised job title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedTitle {
    pub canonical: String,
    pub seniority: Seniority,
    pub key: String,
}

/// Abbreviation -> expansion, matched on a whole word, case-insensitively, with dots
/// removed ("Sr." = "sr"). Only unambiguous job-title abbreviations; where an abbreviation
/// has two common readings the choice is noted.
fn expansion(word: &str) -> Option<&'static str> {
    Some(match word {
        "sr" | "snr" | "sen" => "Senior",
        "jr" | "jnr" | "jun" => "Junior",
        "swe" => "Software Engineer",
        "sde" => "Software Development Engineer",
        "sre" => "Site Reliability Engineer",
        "mle" => "Machine Learning Engineer",
        "ml" => "Machine Learning",
        "mts" => "Member of Technical Staff",
        "sw" => "Software",
        // "PM" also reads "Project Manager" (construction, agencies); resumes in this
        // product's pool use it for product management far more often.
        "pm" => "Product Manager",
        "tpm" => "Technical Program Manager",
        "em" => "Engineering Manager",
        "vp" => "Vice President",
        "svp" => "Senior Vice President",
        "evp" => "Executive Vice President",
        "avp" => "Assistant Vice President",
        "ceo" => "Chief Executive Officer",
        "cto" => "Chief Technology Officer",
        "cfo" => "Chief Financial Officer",
        "coo" => "Chief Operating Officer",
        "cio" => "Chief Information Officer",
        "cmo" => "Chief Marketing Officer",
        "cpo" => "Chief Product Officer",
        "cro" => "Chief Revenue Officer",
        "ciso" => "Chief Information Security Officer",
        "mgr" | "mngr" => "Manager",
        "dir" => "Director",
        "assoc" => "Associate",
        "asst" => "Assistant",
        "admin" => "Administrator",
        "engr" => "Engineer",
        "rn" => "Registered Nurse",
        "lpn" => "Licensed Practical Nurse",
        "cna" => "Certified Nursing Assistant",
        "np" => "Nurse Practitioner",
        "bdr" => "Business Development Representative",
        "sdr" => "Sales Development Representative",
        "ae" => "Account Executive",
        "csm" => "Customer Success Manager",
        _ => return None,
    })
}

/// "Eng." is "Engineering" before a management or leadership word ("Eng. Manager") and
/// "Engineer" elsewhere ("Software Eng.").
fn expand_eng(next: Option<&str>) -> &'static str {
    match next {
        Some("manager" | "mgr" | "mngr" | "director" | "dir" | "lead" | "head" | "vp") => {
            "Engineering"
        }
        _ => "Engineer",
    }
}

/// "Dev" is "Development" in "Business Dev ..." and before a team or management word
/// ("Dev Lead", "Dev Manager"), and "Developer" elsewhere ("Web Dev", "Sr. Dev").
fn expand_dev(prev: Option<&str>, next: Option<&str>) -> &'static str {
    let team_next = matches!(
        next,
        Some("manager" | "mgr" | "mngr" | "director" | "dir" | "lead" | "team" | "head")
    );
    if prev == Some("business") || team_next {
        "Development"
    } else {
        "Developer"
    }
}

/// Acronyms kept upper-case when a title is re-cased.
const ACRONYMS: &[&str] = &[
    "ux", "ui", "qa", "it", "hr", "ai", "ml", "er", "icu", "or", "prn", "fp&a", "seo", "sem",
    "crm", "erp", "sap", "aws", "gcp", "ios", "devops", "bi", "etl", "api", "ehs", "cad", "cnc",
    "hvac", "r&d", "nicu", "picu", "pacu", "ed", "rn", "lpn", "cna", "sql", "vr", "ar", "3d",
];

/// Words that stay lowercase inside a re-cased title.
const SMALL_WORDS: &[&str] = &[
    "of", "and", "for", "the", "in", "to", "at", "on", "a", "an", "&",
];

/// Words that a staff-level IC ladder uses after "Staff" ("Staff Engineer"); elsewhere
/// "Staff" means a regular employee ("Staff Nurse", "Staff Accountant").
const STAFF_LADDER: &[&str] = &[
    "engineer",
    "software",
    "developer",
    "scientist",
    "data",
    "machine",
    "research",
    "researcher",
    "designer",
    "product",
    "security",
    "site",
    "backend",
    "frontend",
    "full",
    "fullstack",
    "platform",
    "infrastructure",
    "applied",
    "systems",
    "hardware",
    "mobile",
    "ux",
    "ml",
    "swe",
    "sde",
    "sre",
    "mle",
];

/// "Manager" titles that are individual-contributor roles, not people management: their
/// seniority comes from other markers, else Mid.
const IC_MANAGER_ROLES: &[&str] = &[
    "product",
    "program",
    "project",
    "account",
    "success",
    "development", // business development manager
    "relationship",
    "case",
    "portfolio",
    "property",
    "marketing",
    "brand",
    "territory",
    "key",
    "partner",
    "community",
    "content",
    "campaign",
    "category",
    "release",
];

/// Employment-type words: kept in `canonical`, dropped from `key` (a per-diem nurse and a
/// full-time nurse hold the same role). Two-word ones ("full time", "per diem") are
/// matched as pairs in [`role_key`]: "Full Stack Engineer" keeps its "full".
const EMPLOYMENT_WORDS: &[&str] = &[
    "prn",
    "contract",
    "contractor",
    "temporary",
    "temp",
    "freelance",
    "remote",
    "interim",
    "locum",
    "seasonal",
    "parttime",
    "fulltime",
];
const EMPLOYMENT_PAIRS: &[[&str; 2]] = &[["part", "time"], ["full", "time"], ["per", "diem"]];

/// Level markers at the end of a title: "II", "3", "L4".
fn level(word: &str) -> Option<Seniority> {
    Some(match word {
        "i" | "1" | "l1" => Seniority::Junior,
        "ii" | "2" | "l2" | "l3" => Seniority::Mid,
        "iii" | "3" | "l4" | "l5" => Seniority::Senior,
        "iv" | "4" | "l6" => Seniority::Lead,
        "v" | "5" | "l7" | "l8" => Seniority::Principal,
        _ => return None,
    })
}

/// "I", "II", "III", "IV", "V": printed upper-case in canonical titles.
fn is_roman_level(k: &str) -> bool {
    level(k).is_some() && k.chars().all(|c| "iv".contains(c))
}

fn fold(s: &str) -> String {
    let lower = s
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .replace('ß', "ss");
    lower
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect()
}

/// Matching form of one printed word: folded, accent-free, dots and apostrophes removed.
fn word_key(w: &str) -> String {
    fold(w)
        .chars()
        .filter(|c| !matches!(c, '.' | '\'' | '’'))
        .collect()
}

/// Splits a title into printed words and separators, keeping separators so that the
/// canonical form preserves "UI/UX" and "Registered Nurse – ICU".
fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || matches!(c, '.' | '\'' | '’' | '&' | '+' | '#') {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            } else if out.last().is_some_and(|l| l != " ") {
                out.push(" ".into());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    while out.last().is_some_and(|l| l == " ") {
        out.pop();
    }
    out
}

fn is_word(tok: &str) -> bool {
    tok.chars().any(char::is_alphanumeric)
}

/// Title-case one word, keeping acronyms upper-case and small words lower-case.
fn recase(word: &str, first: bool) -> String {
    let k = word_key(word);
    if ACRONYMS.contains(&k.as_str()) {
        return word.to_uppercase();
    }
    if !first && SMALL_WORDS.contains(&k.as_str()) {
        return word.to_lowercase();
    }
    let lower = word.to_lowercase();
    let mut cs = lower.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => lower,
    }
}

/// Normalise a job title: expand abbreviations, infer seniority, derive the grouping key.
pub fn normalize_title(raw: &str) -> NormalizedTitle {
    let text: String = raw.nfkc().collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let toks = tokenize(&text);

    let keys: Vec<String> = toks.iter().map(|t| word_key(t)).collect();
    let replaced =
        |k: &str| k == "eng" || k == "dev" || expansion(k).is_some() || is_roman_level(k);

    // Re-case only titles whose kept words carry no case information (ALL CAPS or all
    // lowercase): mixed case is the author's ("iOS Developer", "DevOps Engineer") and
    // stays. Words we replace are left out, so that the canonical title re-cases the same
    // way (idempotence).
    let letters: Vec<char> = toks
        .iter()
        .zip(&keys)
        .filter(|(t, k)| is_word(t) && !replaced(k))
        .flat_map(|(t, _)| t.chars().filter(|c| c.is_alphabetic()))
        .collect();
    let no_case_info =
        letters.iter().all(|c| c.is_uppercase()) || letters.iter().all(|c| c.is_lowercase());

    // Pass 1: expand abbreviations into canonical words.
    let next_word = |i: usize| -> Option<&str> {
        keys[i + 1..]
            .iter()
            .zip(&toks[i + 1..])
            .find(|(_, t)| is_word(t))
            .map(|(k, _)| k.as_str())
    };
    let mut canon: Vec<String> = Vec::with_capacity(toks.len());
    let mut first_word = true;
    let mut prev_word: Option<&str> = None;
    for (i, tok) in toks.iter().enumerate() {
        if !is_word(tok) {
            // Separators (",", "/", "–") stay as printed.
            canon.push(tok.clone());
            continue;
        }
        let k = keys[i].as_str();
        // Roman level numerals ("ii") print upper-case wherever they stand.
        let rep = if k == "eng" {
            Some(expand_eng(next_word(i)).to_string())
        } else if k == "dev" {
            Some(expand_dev(prev_word, next_word(i)).to_string())
        } else {
            expansion(k).map(str::to_string)
        };
        let word = match rep {
            Some(r) => r,
            None if is_roman_level(k) => k.to_uppercase(),
            None if no_case_info => recase(tok, first_word),
            None => tok.clone(),
        };
        canon.push(word);
        first_word = false;
        prev_word = Some(k);
    }
    let canonical = canon
        .concat()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");

    // Pass 2: words of the canonical title, folded, for seniority and key.
    let words: Vec<String> = tokenize(&canonical)
        .iter()
        .filter(|t| is_word(t))
        .map(|t| word_key(t))
        .flat_map(|w| {
            // "fp&a" stays one word; "r&d" too: '&' inside a word is part of it.
            vec![w]
        })
        .collect();
    let seniority = infer_seniority(&words);
    let key = role_key(&words);
    NormalizedTitle {
        canonical,
        seniority,
        key,
    }
}

fn has(words: &[String], w: &str) -> bool {
    words.iter().any(|x| x == w)
}

fn has_seq(words: &[String], seq: &[&str]) -> bool {
    words
        .windows(seq.len())
        .any(|win| win.iter().zip(seq).all(|(a, b)| a == b))
}

/// Position of "staff" used as a ladder level ("Staff Engineer", not "Staff Nurse").
fn staff_level_at(words: &[String]) -> Option<usize> {
    words.iter().enumerate().position(|(i, w)| {
        w == "staff"
            && words
                .get(i + 1)
                .is_some_and(|n| STAFF_LADDER.contains(&n.as_str()))
    })
}

/// Seniority from explicit markers only, highest signal first. Intern markers win (an
/// "Engineering Intern" is an intern whatever else the title says); then people-leading
/// ranks (executive > director > manager); then the IC ladder (principal > lead > senior
/// > junior); then trailing level numerals; Mid when nothing is said.
fn infer_seniority(w: &[String]) -> Seniority {
    let any = |xs: &[&str]| xs.iter().any(|x| has(w, x));
    if any(&[
        "intern",
        "internship",
        "co-op",
        "coop",
        "werkstudent",
        "trainee",
        "apprentice",
        "student",
    ]) || has_seq(w, &["co", "op"])
        || has_seq(w, &["summer", "analyst"])
        || has_seq(w, &["summer", "associate"])
    {
        return Seniority::Intern;
    }
    if any(&[
        "chief",
        "president",
        "founder",
        "cofounder",
        "owner",
        "ceo",
        "cto",
        "cfo",
        "coo",
    ]) || has_seq(w, &["managing", "partner"])
        || has_seq(w, &["managing", "director"])
    {
        return Seniority::Executive;
    }
    if has(w, "director") || has_seq(w, &["head", "of"]) || has_seq(w, &["general", "manager"]) {
        return Seniority::Director;
    }
    if let Some(i) = w.iter().position(|x| x == "manager") {
        let ic = i > 0 && IC_MANAGER_ROLES.contains(&w[i - 1].as_str());
        if !ic {
            return Seniority::Manager;
        }
    }
    if any(&["supervisor"]) {
        return Seniority::Manager;
    }
    if any(&["principal", "distinguished", "fellow"]) || has_seq(w, &["senior", "staff"]) {
        return Seniority::Principal;
    }
    // "Staff" is the first rung above Senior on IC ladders; we call that Lead.
    if any(&["lead", "head"]) || has_seq(w, &["charge", "nurse"]) || staff_level_at(w).is_some() {
        return Seniority::Lead;
    }
    if any(&["senior", "experienced"]) {
        return Seniority::Senior;
    }
    if any(&["junior", "entry", "graduate", "apprentice"])
        || w.first().is_some_and(|f| f == "associate")
    {
        return Seniority::Junior;
    }
    if let Some(l) = w.last().and_then(|x| level(x)) {
        return l;
    }
    Seniority::Mid
}

/// The role without level and employment-type words: the grouping key.
fn role_key(w: &[String]) -> String {
    let staff = staff_level_at(w);
    let n = w.len();
    let mut out: Vec<&str> = Vec::with_capacity(n);
    for (i, x) in w.iter().enumerate() {
        let s = x.as_str();
        let drop = matches!(s, "senior" | "junior" | "principal" | "entry" | "level" | "experienced" | "distinguished")
            // "Lead Backend Engineer" -> backend engineer; "Design Lead" keeps "lead".
            || (s == "lead" && i == 0 && n > 1)
            || (s == "associate" && i == 0 && n > 1)
            || Some(i) == staff
            || (i == n - 1 && n > 1 && level(s).is_some())
            || EMPLOYMENT_WORDS.contains(&s)
            || EMPLOYMENT_PAIRS.iter().any(|[a, b]| {
                (s == *a && w.get(i + 1).is_some_and(|n| n == b))
                    || (s == *b && i > 0 && w[i - 1] == *a)
            });
        if !drop {
            out.push(s);
        }
    }
    if out.is_empty() {
        return w.join(" ");
    }
    // '&' and '+' inside words read as "and" in keys ("FP&A" = "FP and A").
    out.join(" ")
        .replace('&', " and ")
        .replace('+', " plus ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> (String, Seniority, String) {
        let n = normalize_title(raw);
        (n.canonical, n.seniority, n.key)
    }

    #[test]
    fn abbreviations_expand() {
        let cases = [
            ("Sr. Software Engineer", "Senior Software Engineer"),
            ("Jr. Accountant", "Junior Accountant"),
            ("SWE II", "Software Engineer II"),
            ("SDE III", "Software Development Engineer III"),
            ("Sr. PM", "Senior Product Manager"),
            ("VP, Engineering", "Vice President, Engineering"),
            ("SVP Sales", "Senior Vice President Sales"),
            ("Eng. Manager", "Engineering Manager"),
            ("Software Eng.", "Software Engineer"),
            ("Sales Mgr.", "Sales Manager"),
            ("Dir. of Marketing", "Director of Marketing"),
            ("CTO", "Chief Technology Officer"),
            ("CEO & Co-Founder", "Chief Executive Officer & Co-Founder"),
            ("CFO", "Chief Financial Officer"),
            ("ML Engineer", "Machine Learning Engineer"),
            ("RN – ICU", "Registered Nurse – ICU"),
            ("Business Dev Manager", "Business Development Manager"),
            ("Dev Lead", "Development Lead"),
            ("Sr. Web Dev", "Senior Web Developer"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_title(raw).canonical, want, "{raw}");
        }
    }

    #[test]
    fn seniority_levels() {
        use Seniority::*;
        let cases = [
            ("Software Developer Intern", Intern),
            ("Investment Banking Summer Analyst", Intern),
            ("Backend Engineering Intern", Intern),
            ("Co-op Engineer", Intern),
            ("Junior Data Analyst", Junior),
            ("Associate Software Engineer", Junior),
            ("Software Engineer I", Junior),
            ("Software Engineer", Mid),
            ("Software Engineer II", Mid),
            ("Product Manager", Mid),
            ("Customer Success Manager", Mid),
            ("Business Development Manager", Mid),
            ("Software Engineer III", Senior),
            ("Sr. SWE", Senior),
            ("Senior Product Manager", Senior),
            ("Lead Backend Engineer", Lead),
            ("Design Lead", Lead),
            ("Staff Software Engineer", Lead),
            ("Charge Nurse", Lead),
            ("Principal Data Scientist", Principal),
            ("Senior Staff Engineer", Principal),
            ("Engineering Manager", Manager),
            ("Finance Manager", Manager),
            ("Senior Engineering Manager", Manager),
            ("Nurse Manager", Manager),
            ("Director of Engineering", Director),
            ("Head of Data", Director),
            ("VP Engineering", Executive),
            ("CTO", Executive),
            ("Co-Founder", Executive),
            // "Staff" that is not a ladder rung:
            ("PRN Staff Nurse", Mid),
            ("Staff Accountant", Mid),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_title(raw).seniority, want, "{raw}");
        }
    }

    #[test]
    fn keys_group_levels_and_spellings() {
        let k = |s: &str| normalize_title(s).key;
        assert_eq!(k("Senior Software Engineer"), "software engineer");
        assert_eq!(k("Sr. SWE II"), "software engineer");
        assert_eq!(k("SOFTWARE ENGINEER III"), "software engineer");
        assert_eq!(k("Staff Software Engineer"), "software engineer");
        assert_eq!(k("Lead Backend Engineer"), "backend engineer");
        assert_eq!(k("Design Lead"), "design lead");
        assert_eq!(k("PRN Staff Nurse"), "staff nurse");
        assert_eq!(k("Per Diem Staff Nurse"), "staff nurse");
        assert_eq!(k("Senior Full Stack Engineer"), "full stack engineer");
        assert_eq!(k("Full-Time Accountant"), "accountant");
        assert_eq!(k("Part Time Barista (Contract)"), "barista");
        assert_eq!(k("Registered Nurse – ICU"), "registered nurse icu");
        assert_eq!(k("RN - ICU"), "registered nurse icu");
        assert_eq!(k("FP&A Analyst"), "fp and a analyst");
        assert_eq!(k("Ingénieur Logiciel"), "ingenieur logiciel");
        assert_eq!(k("Senior"), "senior");
    }

    #[test]
    fn casing_is_kept_unless_absent() {
        assert_eq!(t("iOS Developer").0, "iOS Developer");
        assert_eq!(t("DevOps Engineer").0, "DevOps Engineer");
        assert_eq!(t("SENIOR UX DESIGNER").0, "Senior UX Designer");
        assert_eq!(t("head of product").0, "Head of Product");
        assert_eq!(t("  Senior   UI/UX   Designer ").0, "Senior UI/UX Designer");
    }

    #[test]
    fn seniority_serde_and_as_str() {
        for s in [
            Seniority::Intern,
            Seniority::Junior,
            Seniority::Mid,
            Seniority::Senior,
            Seniority::Lead,
            Seniority::Principal,
            Seniority::Manager,
            Seniority::Director,
            Seniority::Executive,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Seniority>(&json).unwrap(), s);
        }
        assert!(Seniority::Intern < Seniority::Executive);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn canonical_is_a_fixed_point(s in "[A-Za-z.&/ -]{0,40}") {
                let a = normalize_title(&s);
                let b = normalize_title(&a.canonical);
                prop_assert_eq!(&b.canonical, &a.canonical);
                prop_assert_eq!(b.seniority, a.seniority);
                prop_assert_eq!(b.key, a.key);
            }

            #[test]
            fn abbreviation_mixes_are_fixed_points(
                words in proptest::collection::vec(
                    proptest::sample::select(vec![
                        "sr.", "Sr", "JR", "SWE", "sde", "ii", "III", "I", "Eng.", "eng", "Mgr",
                        "VP", "cto", "of", "and", "Data", "NURSE", "iOS", "staff", "Lead", "–",
                        "/", ",", "intern", "Summer", "analyst", "Manager", "Product", "PRN", "Dev",
                        "business",
                    ]),
                    0..7,
                ),
            ) {
                let a = normalize_title(&words.join(" "));
                let b = normalize_title(&a.canonical);
                prop_assert_eq!(&b.canonical, &a.canonical);
                prop_assert_eq!(b.seniority, a.seniority);
                prop_assert_eq!(b.key, a.key);
            }
        }
    }
}
