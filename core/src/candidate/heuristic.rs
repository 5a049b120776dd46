//! The heuristic (no-LLM) resume parser: text → [`ParsedResume`].
//!
//! It works on lines. Headings ("Experience", "Work History", ...) cut the
//! text into sections. In the work and education sections a date range
//! anchors each entry; the short "header-like" lines around it are split at
//! the usual separators (`|`, `·`, `—`, ` at `, commas, wide gaps) and the
//! pieces get their roles from word lists (job-title words, organisation
//! words and legal suffixes, places), with the order seen in the unambiguous
//! entries of the same document deciding the rest.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::candidate::dates::{self, DateRange};
use crate::candidate::lexicon::{self, SectionKind};
use crate::candidate::model::{
    Basics, Certificate, Education, Language, Location, ParsedResume, Profile, Skill, Work,
};
use crate::candidate::taxonomy;
use crate::extract::ExtractedText;

/// Parse extracted text.
pub fn parse(text: &ExtractedText) -> ParsedResume {
    parse_text(&text.text)
}

#[derive(Debug, Clone)]
struct Line {
    text: String,
    bullet: bool,
    /// A blank line came before this one.
    gap_before: bool,
    /// The first line of a new page.
    page_start: bool,
}

const BULLETS: &[char] = &[
    '•', '·', '▪', '◦', '●', '○', '■', '□', '►', '▸', '‣', '⁃', '–', '-', '*', '➤', '✓', '\u{F0B7}',
];

fn lines_of(text: &str) -> Vec<Line> {
    let mut blank = false;
    let mut page = false;
    text.lines()
        .filter_map(|raw| {
            let indented = raw.starts_with("  ");
            if raw.trim_matches(|c: char| c.is_whitespace() && c != '\u{0C}') == "\u{0C}" {
                page = true;
                return None;
            }
            let t = raw.trim();
            if t.is_empty() {
                blank = true;
                return None;
            }
            let gap_before = std::mem::take(&mut blank);
            if t.chars().all(|c| matches!(c, '=' | '-' | '_' | '~' | '*')) {
                return None;
            }
            let stripped = t.trim_start_matches(BULLETS).trim_start();
            let bullet = stripped.len() != t.len() && t.chars().nth(1).is_some_and(|c| c == ' ');
            let text = if bullet { stripped } else { t };
            if text.is_empty() {
                return None;
            }
            Some(Line {
                text: text.to_string(),
                bullet: bullet
                    || (indented && !text.is_empty() && dates::find_range(text).is_none()),
                gap_before,
                page_start: std::mem::take(&mut page),
            })
        })
        .collect()
}

fn norm_heading(s: &str) -> String {
    let s = s.replace('&', " and ");
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A heading line → its kind, and any content printed after it on the line.
fn heading(line: &Line) -> Option<(SectionKind, String)> {
    let t = line.text.trim();
    if t.len() > 48 || line.bullet {
        return None;
    }
    // Headings are capitalised; "experience" alone is a wrapped sentence end.
    if !t
        .chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| c.is_uppercase())
    {
        return None;
    }
    let n = norm_heading(t);
    if let Some((_, k)) = lexicon::HEADINGS.iter().find(|(h, _)| *h == n) {
        return Some((*k, String::new()));
    }
    None
}

fn prefix_heading(line: &Line) -> Option<(SectionKind, String)> {
    for w in lexicon::PREFIX_HEADINGS {
        if let Some(rest) = line.text.strip_prefix(w)
            && rest.starts_with(' ')
            && (rest.starts_with("   ")
                || rest.trim_start().starts_with(|c: char| c.is_uppercase()))
        {
            let n = norm_heading(w);
            let (_, k) = lexicon::HEADINGS.iter().find(|(h, _)| *h == n)?;
            return Some((*k, rest.trim().to_string()));
        }
    }
    None
}

struct Section {
    kind: SectionKind,
    lines: Vec<Line>,
}

fn split_sections(lines: Vec<Line>) -> (Vec<Line>, Vec<Section>) {
    let mut header = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut seen: HashSet<&'static str> = HashSet::new();
    for (idx, line) in lines.iter().enumerate() {
        let line = line.clone();
        // "Languages" inside a skills list is a group of programming
        // languages unless what follows names spoken languages.
        let in_skills = sections
            .last()
            .is_some_and(|s| s.kind == SectionKind::Skills);
        if in_skills && norm_heading(&line.text) == "languages" {
            let next = lines.get(idx + 1).map(|l| l.text.as_str()).unwrap_or("");
            if !names_spoken_language(next) {
                if let Some(sec) = sections.last_mut() {
                    sec.lines.push(line);
                }
                continue;
            }
        }
        let h = heading(&line).or_else(|| {
            let p = prefix_heading(&line)?;
            // A prefix heading is only believed once per kind.
            let key = format!("{:?}", p.0);
            (!seen.contains(key.as_str())).then_some(p)
        });
        if let Some((kind, rest)) = h {
            seen.insert(Box::leak(format!("{kind:?}").into_boxed_str()));
            let mut sec = Section {
                kind,
                lines: Vec::new(),
            };
            if !rest.is_empty() {
                sec.lines.push(Line {
                    text: rest,
                    bullet: false,
                    gap_before: false,
                    page_start: false,
                });
            }
            sections.push(sec);
            continue;
        }
        // A sidebar ends page one, and page two goes on with the main
        // column's work history: send the dated lines back to it.
        if line.page_start {
            let sidebar_last = sections.last().is_some_and(|s| {
                !matches!(
                    s.kind,
                    SectionKind::Work | SectionKind::Education | SectionKind::Projects
                )
            });
            let orphan_dated = lines[idx..]
                .iter()
                .take_while(|l| heading(l).is_none())
                .any(|l| !l.bullet && dates::find_range(&l.text).is_some());
            if sidebar_last
                && orphan_dated
                && let Some(pos) = sections.iter().rposition(|s| s.kind == SectionKind::Work)
            {
                // Carry on the same work section, so its entries keep one layout.
                let work = sections.remove(pos);
                sections.push(work);
            }
        }
        match sections.last_mut() {
            Some(sec) => sec.lines.push(line),
            None => header.push(line),
        }
    }
    (header, sections)
}

fn names_spoken_language(s: &str) -> bool {
    const SPOKEN: &[&str] = &[
        "english",
        "spanish",
        "french",
        "german",
        "italian",
        "portuguese",
        "dutch",
        "swedish",
        "norwegian",
        "danish",
        "finnish",
        "polish",
        "czech",
        "russian",
        "ukrainian",
        "turkish",
        "arabic",
        "hebrew",
        "persian",
        "farsi",
        "hindi",
        "bengali",
        "urdu",
        "tamil",
        "telugu",
        "marathi",
        "punjabi",
        "gujarati",
        "mandarin",
        "chinese",
        "cantonese",
        "japanese",
        "korean",
        "vietnamese",
        "thai",
        "indonesian",
        "malay",
        "tagalog",
        "filipino",
        "swahili",
        "greek",
        "romanian",
        "hungarian",
        "catalan",
        "afrikaans",
        "yoruba",
        "igbo",
        "hausa",
        "amharic",
    ];
    words_of(s).iter().any(|w| SPOKEN.contains(&w.as_str()))
}

/// Parse plain text.
pub fn parse_text(text: &str) -> ParsedResume {
    let all = lines_of(text);
    let (header, sections) = split_sections(all.clone());
    let mut r = ParsedResume::default();
    let contact_lines: Vec<&Line> = header
        .iter()
        .chain(
            sections
                .iter()
                .filter(|s| matches!(s.kind, SectionKind::Contact | SectionKind::Summary))
                .flat_map(|s| s.lines.iter()),
        )
        .collect();
    // Places named in work or education entries are not where the person lives, so the
    // location search looks at the contact lines only.
    r.basics = basics(&header, &contact_lines, &all, &contact_lines, text);
    for sec in &sections {
        match sec.kind {
            SectionKind::Work => r.work.extend(parse_work(&sec.lines)),
            SectionKind::Education => r.education.extend(parse_education(&sec.lines)),
            SectionKind::Skills => r.skills.extend(parse_skills(&sec.lines)),
            SectionKind::Languages => {
                // A grid layout may carry skill lines under the label.
                let (spoken, other): (Vec<Line>, Vec<Line>) =
                    sec.lines.iter().cloned().partition(|l| {
                        names_spoken_language(&l.text)
                            || is_level(l.text.trim())
                            || l.text.trim().parse::<f32>().is_ok()
                    });
                r.languages.extend(parse_languages(&spoken));
                r.skills.extend(parse_skills(&other));
            }
            SectionKind::Certificates => r.certificates.extend(parse_certificates(&sec.lines)),
            SectionKind::Summary | SectionKind::Contact => {
                // A sidebar may list skill groups under its contact block
                // with no heading of their own.
                let chips = sidebar_skill_lines(&sec.lines);
                if chips.len() >= 4 {
                    r.skills.extend(parse_skills(&chips));
                }
                if r.basics.summary.is_none() && sec.kind == SectionKind::Summary {
                    let s: Vec<&str> = sec
                        .lines
                        .iter()
                        .map(|l| l.text.as_str())
                        .filter(|t| !is_contact_fragment(t))
                        .collect();
                    if !s.is_empty() {
                        r.basics.summary = Some(s.join(" "));
                    }
                }
            }
            _ => {}
        }
    }
    dedup_skills(&mut r.skills);
    r
}

// ---------------------------------------------------------------- basics

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("email regex")
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\s?\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\d[\d\s().\-]{5,}\d")
        .expect("phone regex")
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://|www\.)[^\s|,;]+|\b[a-z0-9\-]+\.(?:dev|io|me|com|net|org|design|site)(?:/[^\s|,;]*)?\b")
        .expect("url regex")
});

fn is_contact_fragment(t: &str) -> bool {
    EMAIL.is_match(t) || phone_in(t).is_some() || t.to_lowercase().starts_with("location")
}

fn phone_in(t: &str) -> Option<String> {
    for m in PHONE.find_iter(t) {
        let s = m.as_str().trim();
        let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
        if !(7..=15).contains(&digits) || dates::find_range(s).is_some() {
            continue;
        }
        // A bare year-like run ("2019 2021") is not a phone.
        if !s.starts_with('+') && !s.contains(['-', '(', ' ', '.']) && digits < 9 {
            continue;
        }
        return Some(s.to_string());
    }
    None
}

fn basics(
    header: &[Line],
    contact: &[&Line],
    all: &[Line],
    outside_entries: &[&Line],
    text: &str,
) -> Basics {
    let name = header
        .iter()
        .chain(all.iter())
        .take(6)
        .map(|l| l.text.trim())
        .find(|t| looks_like_name(t))
        .map(|t| t.split("   ").next().unwrap_or(t).trim().to_string());
    let mut b = Basics {
        name,
        ..Basics::default()
    };
    if let Some(name) = &b.name {
        let after = header
            .iter()
            .skip_while(|l| l.text.trim() != name.as_str())
            .nth(1);
        b.label = after
            .map(|l| l.text.trim().to_string())
            .filter(|t| !is_contact_fragment(t) && t.split_whitespace().count() <= 8);
    }
    // E-mail: search joined lines too, for addresses a narrow column wrapped.
    let wrapped = {
        let ls: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        ls.windows(2).find_map(|w| {
            let tail_ok = w[1].len() <= 6
                && w[1].chars().all(|c| c.is_ascii_lowercase() || c == '.')
                && w[0].contains('@')
                && !w[0].contains(' ');
            if !tail_ok {
                return None;
            }
            EMAIL
                .find(&format!("{}{}", w[0], w[1]))
                .map(|m| m.as_str().to_string())
        })
    };
    b.email = wrapped
        .or_else(|| {
            contact
                .iter()
                .find_map(|l| EMAIL.find(&l.text).map(|m| m.as_str().to_string()))
        })
        .or_else(|| EMAIL.find(text).map(|m| m.as_str().to_string()))
        .or_else(|| {
            // An address a narrow column wrapped: the line with the '@' and
            // the one after it.
            let ls: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            ls.windows(2).find_map(|w| {
                if !w[0].contains('@') {
                    return None;
                }
                let joined = format!("{}{}", w[0], w[1]);
                EMAIL.find(&joined).map(|m| m.as_str().to_string())
            })
        })
        .map(|e| e.trim_end_matches('.').to_lowercase());
    let phone = contact
        .iter()
        .find_map(|l| phone_in(&l.text))
        .or_else(|| all.iter().find_map(|l| phone_in(&l.text)));
    b.location = find_location(contact)
        .or_else(|| find_location(outside_entries))
        .unwrap_or_default();
    b.phone = phone.map(|p| e164(&p, b.location.country_code.as_deref()));
    // Profiles and URL.
    for l in contact.iter().copied().chain(all.iter().take(40)) {
        let t = l.text.trim();
        if let Some((label, value)) = t.split_once(':') {
            let net = label.trim();
            if matches!(
                net.to_lowercase().as_str(),
                "linkedin" | "github" | "gitlab" | "twitter" | "behance" | "dribbble" | "x"
            ) && !value.trim().is_empty()
                && !b.profiles.iter().any(|p| p.network == net)
            {
                let value = value.split("   ").next().unwrap_or(value).trim();
                b.profiles.push(Profile {
                    network: net.to_string(),
                    username: Some(value.to_string()),
                    url: None,
                });
            }
        }
        if b.url.is_none()
            && let Some(m) = URL.find(t)
            && !EMAIL.is_match(t)
            && !m.as_str().to_lowercase().contains("linkedin")
        {
            b.url = Some(m.as_str().to_string());
        }
    }
    b
}

fn looks_like_name(t: &str) -> bool {
    let t = t.split("   ").next().unwrap_or(t).trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 || t.len() > 60 {
        return false;
    }
    if t.contains(['@', ':', '|', '/']) || t.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    if lexicon::HEADINGS.iter().any(|(h, _)| *h == norm_heading(t)) {
        return false;
    }
    words.iter().all(|w| {
        let c = w.chars().next().unwrap_or(' ');
        c.is_uppercase() || !c.is_alphabetic() || (c as u32) > 0x2E80 || is_particle(w)
    })
}

fn is_particle(w: &str) -> bool {
    matches!(
        w,
        "de" | "da"
            | "van"
            | "von"
            | "der"
            | "den"
            | "del"
            | "la"
            | "le"
            | "al"
            | "el"
            | "bin"
            | "binti"
            | "di"
            | "du"
            | "dos"
            | "das"
            | "y"
            | "auch"
            | "zu"
            | "ter"
            | "ten"
    )
}

fn find_location(lines: &[&Line]) -> Option<Location> {
    let mut fallback = None;
    for l in lines {
        if dates::find_range(&l.text).is_some() {
            continue;
        }
        let t = l.text.trim();
        for frag in t.split(['|', '•', '·']).flat_map(|f| f.split("  ")) {
            let f = frag.trim();
            let lower = f.to_lowercase();
            let (labelled, f) = match lower.find(':') {
                Some(p)
                    if ["location", "address", "based in", "city"]
                        .iter()
                        .any(|k| lower[..p].trim() == *k) =>
                {
                    (true, f[p + 1..].trim())
                }
                Some(_) => continue,
                None => (false, f),
            };
            if f.is_empty() || EMAIL.is_match(f) || URL.is_match(f) || phone_in(f).is_some() {
                continue;
            }
            if let Some(loc) = location_of(f, labelled) {
                if labelled {
                    return Some(loc);
                }
                if fallback.is_none() {
                    fallback = Some(loc);
                }
            }
        }
    }
    fallback
}

/// "City, Region, CC" / "City, Country" / "City CC" / a city-state.
fn location_of(f: &str, labelled: bool) -> Option<Location> {
    let f = f
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != ')');
    if f.is_empty() || f.chars().any(|c| c.is_ascii_digit()) || f.split_whitespace().count() > 8 {
        return None;
    }
    let parts: Vec<&str> = f
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let cap = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || (c as u32) > 0x2E80)
    };
    let mut loc = Location::default();
    let last = parts.last()?.trim_matches(|c: char| c == '(' || c == ')');
    let last_words: Vec<&str> = last.split_whitespace().collect();
    let country = |s: &str| -> Option<String> {
        let l = s.to_lowercase();
        if let Some((_, cc)) = lexicon::COUNTRY_CODES.iter().find(|(n, _)| *n == l) {
            return Some(cc.to_string());
        }
        (s.len() == 2
            && s.chars().all(|c| c.is_ascii_uppercase())
            && !lexicon::US_STATES.contains(&s))
        .then(|| s.to_string())
    };
    if parts.len() == 1 {
        let words: Vec<&str> = f.split_whitespace().collect();
        let lower = f.to_lowercase();
        if lexicon::CITY_STATES.contains(&lower.as_str()) {
            loc.city = Some(f.to_string());
            loc.country_code = country(f);
            return Some(loc);
        }
        // "Abu Dhabi AE": a city followed by a country code.
        if words.len() >= 2
            && let Some(cc) = country(words[words.len() - 1])
            && words[words.len() - 1].len() == 2
            && words[..words.len() - 1].iter().all(|w| cap(w))
        {
            let rest = &words[..words.len() - 1];
            // "Austin TX US": drop the region too.
            let city = match rest.len() {
                1 => rest.to_vec(),
                _ => city_before_region(rest).unwrap_or_else(|| rest.to_vec()),
            };
            loc.city = Some(city.join(" "));
            loc.country_code = Some(cc);
            return Some(loc);
        }
        // "Lille Hauts-de-France", "Austin TX", "Cairo Cairo Governorate":
        // a city followed by a known region.
        if words.len() >= 2
            && words.iter().all(|w| cap(w) || is_particle(w))
            && let Some(city_words) = city_before_region(&words)
        {
            loc.city = Some(city_words.join(" "));
            return Some(loc);
        }
        if labelled && words.iter().all(|w| cap(w)) && words.len() <= 4 {
            loc.city = Some(f.to_string());
            return Some(loc);
        }
        return None;
    }
    if parts.len() > 4 || !parts.iter().all(|p| cap(p) || p.starts_with('(')) {
        return None;
    }
    if parts.iter().any(|p| p.split_whitespace().count() > 4) {
        return None;
    }
    loc.city = Some(parts[0].to_string());
    // "Köln, Nordrhein-Westfalen DE": a code glued to the region.
    if let Some(cc) = last_words.last().and_then(|w| country(w)) {
        loc.country_code = Some(cc);
    } else if lexicon::US_STATES.contains(&last) {
        loc.country_code = Some("US".into());
    }
    if parts.len() >= 3 || (parts.len() == 2 && lexicon::US_STATES.contains(&last)) {
        loc.region = Some(parts[1].to_string());
    }
    let known = loc.country_code.is_some()
        || lexicon::PLACES.contains(&last.to_lowercase().as_str())
        || labelled;
    if !known && parts.len() < 2 {
        return None;
    }
    // "Acme, AG" is a company; "Uppsala, SE" a place.
    if lexicon::LEGAL_SUFFIXES.contains(&norm_word(last).as_str())
        && (loc.country_code.is_none() || has_org_word(parts[0]))
    {
        return None;
    }
    Some(loc)
}

/// The words before a trailing region name (and a country code after it),
/// if the line ends with one: "Vancouver BC CA" → "Vancouver".
fn city_before_region<'a>(words: &[&'a str]) -> Option<Vec<&'a str>> {
    let mut rest = words.to_vec();
    let mut stripped = false;
    while rest.len() >= 2 {
        match strip_region(&rest) {
            Some(shorter) => {
                rest = shorter;
                stripped = true;
            }
            None => break,
        }
    }
    stripped.then_some(rest)
}

fn strip_region<'a>(words: &[&'a str]) -> Option<Vec<&'a str>> {
    let n = words.len();
    let last = words[n - 1].to_lowercase();
    if n >= 3 && lexicon::REGION_SUFFIXES.contains(&last.as_str()) {
        return Some(words[..n - 2].to_vec());
    }
    if lexicon::US_STATES.contains(&words[n - 1]) {
        return Some(words[..n - 1].to_vec());
    }
    // Longest region first, leaving at least one word for the city.
    for k in (1..n).rev().take(4) {
        let tail = words[n - k..].join(" ").to_lowercase();
        if lexicon::REGIONS.contains(&tail.as_str()) {
            return Some(words[..n - k].to_vec());
        }
    }
    None
}

fn e164(printed: &str, country: Option<&str>) -> String {
    let trimmed = printed.trim();
    let without_trunk = trimmed.replace("(0)", "");
    let digits: String = without_trunk
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    if trimmed.starts_with('+') {
        return format!("+{digits}");
    }
    if let Some(cc) = country
        && let Some((_, code)) = lexicon::CALLING_CODES.iter().find(|(c, _)| *c == cc)
    {
        let national = if *code == "1" {
            digits.trim_start_matches('1').to_string()
        } else {
            digits.trim_start_matches('0').to_string()
        };
        if (*code == "1" && national.len() == 10) || (*code != "1" && national.len() >= 7) {
            return format!("+{code}{national}");
        }
    }
    trimmed.to_string()
}

// ---------------------------------------------------------------- words

fn norm_word(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric())
        .replace('.', "")
        .to_lowercase()
}

fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '/' | '&'))
        .map(norm_word)
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_title_word(s: &str) -> bool {
    words_of(s)
        .iter()
        .any(|w| lexicon::TITLE_WORDS.contains(&w.as_str()))
}

fn has_org_word(s: &str) -> bool {
    let ws = words_of(s);
    ws.iter().any(|w| lexicon::ORG_WORDS.contains(&w.as_str()))
        || s.contains('&') && !has_title_word(s)
}

fn is_legal_suffix(s: &str) -> bool {
    let n: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    let n = n.trim();
    lexicon::LEGAL_SUFFIXES
        .iter()
        .any(|l| l.replace('.', "") == n)
}

fn looks_like_place(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let lower = s.to_lowercase();
    if lexicon::PLACES.contains(&lower.as_str()) {
        return true;
    }
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let last = parts.last().copied().unwrap_or("");
    // "Stuttgart, Baden-Württemberg": short capitalised parts naming no
    // organisation and no job.
    if (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            let n = p.split_whitespace().count();
            (1..=3).contains(&n) && p.starts_with(|c: char| c.is_uppercase())
        })
        && !has_title_word(s)
        && !has_org_word(s)
        && !has_degree_word(s)
        && !has_institution_word(s)
        && !parts.iter().any(|p| is_legal_suffix(p))
    {
        return true;
    }
    // "Mercy Hospital, Singapore" / "Acme, LLC, Detroit, USA" name a company first.
    if parts.iter().any(|p| is_legal_suffix(p))
        || has_org_word(parts[0])
        || has_title_word(parts[0])
    {
        return false;
    }
    if parts.len() >= 2
        && (lexicon::PLACES.contains(&last.to_lowercase().as_str())
            || lexicon::US_STATES.contains(&last)
            || (last.len() == 2 && last.chars().all(|c| c.is_ascii_uppercase())))
    {
        return true;
    }
    false
}

// ---------------------------------------------------------------- work

/// A short line that may name a company, a position or a place.
fn header_like(l: &Line) -> bool {
    let t = l.text.trim();
    if l.bullet || t.is_empty() || t.len() > 100 {
        return false;
    }
    if t.ends_with('.') {
        // "Acme Ltda." / "Booking.com B.V." end in a dot; sentences do too.
        let last = t.split_whitespace().last().unwrap_or("");
        let abbrev = last.len() <= 6 && last.starts_with(|c: char| c.is_uppercase());
        if !(abbrev || t.split_whitespace().count() <= 3) {
            return false;
        }
    }
    let first = t.chars().next().unwrap_or(' ');
    if first.is_lowercase() {
        return false;
    }
    t.split_whitespace().count() <= 12 && !is_noise(t)
}

fn is_noise(t: &str) -> bool {
    matches!(
        t.to_lowercase().trim_end_matches(':'),
        "highlights" | "responsibilities" | "achievements" | "key achievements" | "tech stack"
    )
}

/// Split a header fragment at the separators resumes use between fields.
fn split_fields(s: &str) -> Vec<String> {
    let mut parts = vec![s.to_string()];
    for sep in ["   ", " | ", "|", " · ", " • ", " — ", " – ", " -- ", " - "] {
        parts = parts
            .into_iter()
            .flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    parts
        .into_iter()
        .map(|p| clean_piece(&p))
        .filter(|p| !p.is_empty() && !is_noise(p))
        .collect()
}

fn clean_piece(p: &str) -> String {
    let p = p.trim().trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')' | ',' | '|' | '·' | '•' | '—' | '–' | '-' | ':' | ';'
        ) || c.is_whitespace()
    });
    // "(...)" left from a removed date: drop empty parentheses.
    p.replace("()", "").trim().to_string()
}

/// Comma-separated parts, with a legal suffix kept on its company.
fn comma_parts(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(", ") {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        if is_legal_suffix(p)
            && let Some(last) = out.last_mut()
        {
            last.push_str(", ");
            last.push_str(p);
            continue;
        }
        out.push(p.to_string());
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Position,
    Company,
    Place,
    Unknown,
}

fn role_of(p: &str) -> Role {
    if looks_like_place(p) {
        return Role::Place;
    }
    let title = has_title_word(p);
    let org = has_org_word(p) || ends_with_legal(p);
    match (title, org) {
        (true, false) => Role::Position,
        (false, true) => Role::Company,
        (true, true) => {
            // "Senior Software Engineer" vs "Kestrelforge Software": the head
            // (last) word decides; a legal suffix always means a company.
            let head = words_of(p).last().cloned().unwrap_or_default();
            if ends_with_legal(p) {
                Role::Company
            } else if lexicon::TITLE_WORDS.contains(&head.as_str()) {
                Role::Position
            } else if lexicon::ORG_WORDS.contains(&head.as_str()) {
                Role::Company
            } else {
                Role::Unknown
            }
        }
        _ => Role::Unknown,
    }
}

fn ends_with_legal(p: &str) -> bool {
    let ws: Vec<&str> = p.split_whitespace().collect();
    (1..=3).any(|n| ws.len() > n && is_legal_suffix(&ws[ws.len() - n..].join(" ")))
        || ws.last().is_some_and(|w| is_legal_suffix(w))
}

struct Entry {
    pieces: Vec<String>,
    range: DateRange,
    body: Vec<String>,
}

fn parse_work(lines: &[Line]) -> Vec<Work> {
    let entries = group_entries(lines);
    let mut assigned: Vec<(Vec<(String, Role)>, &Entry)> = Vec::new();
    for e in &entries {
        let mut pieces: Vec<(String, Role)> = Vec::new();
        for p in &e.pieces {
            // "Position at Company"
            if let Some((a, b)) = p.split_once(" at ")
                && has_title_word(a)
            {
                pieces.push((a.trim().to_string(), Role::Position));
                pieces.push((b.trim().to_string(), Role::Company));
                continue;
            }
            pieces.push((p.clone(), role_of(p)));
        }
        assigned.push((pieces, e));
    }
    // Order learned from unambiguous entries: does the position come first?
    let mut pos_first = 0i32;
    for (pieces, _) in &assigned {
        let pi = pieces.iter().position(|p| p.1 == Role::Position);
        let ci = pieces.iter().position(|p| p.1 == Role::Company);
        if let (Some(a), Some(b)) = (pi, ci) {
            pos_first += if a < b { 1 } else { -1 };
        }
    }
    let mut out = Vec::new();
    for (mut pieces, e) in assigned {
        resolve_commas(&mut pieces);
        fill_roles(&mut pieces, pos_first >= 0);
        let get = |r: Role| pieces.iter().find(|p| p.1 == r).map(|p| p.0.clone());
        let position = get(Role::Position);
        let company = get(Role::Company);
        let location = {
            let places: Vec<String> = pieces
                .iter()
                .filter(|p| p.1 == Role::Place)
                .map(|p| p.0.clone())
                .collect();
            (!places.is_empty()).then(|| places.join(", "))
        };
        if position.is_none() && company.is_none() {
            continue;
        }
        let (summary, highlights) = body_of(&e.body);
        out.push(Work {
            company,
            position,
            location,
            start: Some(e.range.start),
            end: e.range.end,
            summary,
            highlights,
        });
    }
    out
}

fn body_of(body: &[String]) -> (Option<String>, Vec<String>) {
    let mut summary = Vec::new();
    let mut highlights = Vec::new();
    for b in body {
        if b.ends_with('.') && highlights.is_empty() {
            summary.push(b.clone());
        } else {
            highlights.push(b.clone());
        }
    }
    ((!summary.is_empty()).then(|| summary.join(" ")), highlights)
}

/// Split "Position, Company" / "Company, City" pieces at commas.
fn resolve_commas(pieces: &mut Vec<(String, Role)>) {
    let mut out: Vec<(String, Role)> = Vec::new();
    let has_company = pieces
        .iter()
        .any(|p| p.1 == Role::Company && !p.0.contains(", "));
    let has_position = pieces
        .iter()
        .any(|p| p.1 == Role::Position && !p.0.contains(", "));
    // Only when nothing else could be the company (no unknown piece).
    let any_company = pieces
        .iter()
        .any(|p| matches!(p.1, Role::Company | Role::Unknown));
    for (p, role) in pieces.drain(..) {
        // "Shopify, Uppsala, Sweden" with no company elsewhere: the first
        // part is the company, the rest the place.
        if role == Role::Place && !any_company && p.contains(", ") {
            let parts = comma_parts(&p);
            let rest = parts[1..].join(", ");
            let head_is_place = lexicon::PLACES.contains(&parts[0].to_lowercase().as_str())
                || lexicon::REGIONS.contains(&parts[0].to_lowercase().as_str());
            if parts.len() >= 2 && !head_is_place && looks_like_place(&rest) {
                out.push((parts[0].clone(), Role::Company));
                out.push((rest, Role::Place));
                continue;
            }
        }
        if role == Role::Place || !p.contains(", ") {
            out.push((p, role));
            continue;
        }
        let parts = comma_parts(&p);
        if parts.len() == 1 {
            out.push((parts[0].clone(), role_of(&parts[0])));
            continue;
        }
        let head = parts[0].clone();
        let rest = parts[1..].join(", ");
        let head_role = match role_of(&head) {
            Role::Unknown if has_title_word(&head) => Role::Position,
            r => r,
        };
        out.push((head.clone(), head_role));
        if looks_like_place(&rest) {
            out.push((rest, Role::Place));
            continue;
        }
        // The second part is the other half of the header, or a place.
        let second = parts[1].clone();
        let tail = parts[2..].join(", ");
        let second_role = role_of(&second);
        let needs_company = head_role == Role::Position && !has_company;
        let needs_position = head_role == Role::Company && !has_position;
        let r = match second_role {
            Role::Company | Role::Position => second_role,
            _ if needs_company => Role::Company,
            _ if needs_position && has_title_word(&second) => Role::Position,
            _ => Role::Place,
        };
        if r == Role::Place {
            out.push((parts[1..].join(", "), Role::Place));
        } else {
            out.push((second, r));
            if !tail.is_empty() {
                out.push((tail, Role::Place));
            }
        }
    }
    *pieces = out;
}

/// Give unknown pieces the roles still missing, in the document's order.
fn fill_roles(pieces: &mut [(String, Role)], pos_first: bool) {
    // Two pieces claiming one role: the second of two "positions" with an org
    // word is the company, and so on.
    let count = |ps: &[(String, Role)], r: Role| ps.iter().filter(|p| p.1 == r).count();
    if count(pieces, Role::Position) > 1 && count(pieces, Role::Company) == 0 {
        if let Some(i) = pieces
            .iter()
            .position(|p| p.1 == Role::Position && has_org_word(&p.0))
        {
            pieces[i].1 = Role::Company;
        } else if let Some(i) = pieces.iter().rposition(|p| p.1 == Role::Position) {
            if !pos_first {
                let first = pieces
                    .iter()
                    .position(|p| p.1 == Role::Position)
                    .unwrap_or(i);
                pieces[first].1 = Role::Company;
            } else {
                pieces[i].1 = Role::Company;
            }
        }
    }
    if count(pieces, Role::Company) > 1
        && count(pieces, Role::Position) == 0
        && let Some(i) = pieces
            .iter()
            .position(|p| p.1 == Role::Company && has_title_word(&p.0))
    {
        pieces[i].1 = Role::Position;
    }
    let unknown: Vec<usize> = pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1 == Role::Unknown)
        .map(|(i, _)| i)
        .collect();
    let mut missing: Vec<Role> = Vec::new();
    let order = if pos_first {
        [Role::Position, Role::Company]
    } else {
        [Role::Company, Role::Position]
    };
    for r in order {
        if count(pieces, r) == 0 {
            missing.push(r);
        }
    }
    let mut mi = 0;
    for i in unknown {
        if mi < missing.len() {
            // With one role missing and a title-ish piece, prefer position.
            pieces[i].1 = missing[mi];
            mi += 1;
        } else {
            pieces[i].1 = Role::Place;
        }
    }
}

/// Cut a section into entries, one per date range.
fn group_entries(lines: &[Line]) -> Vec<Entry> {
    let dated: Vec<(usize, DateRange)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.bullet)
        .filter_map(|(i, l)| dates::find_range(&l.text).map(|r| (i, r)))
        .collect();
    if dated.is_empty() {
        return Vec::new();
    }
    // Header lines before the first entry's date line: the layout's pattern.
    let first = dated[0].0;
    let pre_count = lines[..first]
        .iter()
        .rev()
        .take_while(|l| header_like(l))
        .take(3)
        .count();
    let mut entries = Vec::new();
    let mut used = vec![false; lines.len()];
    let mut pre_of: Vec<Vec<usize>> = Vec::new();
    for (k, (i, _)) in dated.iter().enumerate() {
        let lower = if k == 0 { 0 } else { dated[k - 1].0 + 1 };
        let mut pre = Vec::new();
        let mut j = *i;
        while j > lower && pre.len() < pre_count {
            j -= 1;
            if !header_like(&lines[j]) {
                if is_noise(lines[j].text.trim()) {
                    continue;
                }
                break;
            }
            pre.push(j);
        }
        pre.reverse();
        for &p in &pre {
            used[p] = true;
        }
        used[*i] = true;
        pre_of.push(pre);
    }
    for (k, (i, range)) in dated.iter().enumerate() {
        let line = &lines[*i].text;
        let residual = format!("{}   {}", &line[..range.span.0], &line[range.span.1..]);
        let mut pieces: Vec<String> = Vec::new();
        for &p in &pre_of[k] {
            pieces.extend(split_fields(&lines[p].text));
        }
        pieces.extend(split_fields(&residual));
        let next = dated.get(k + 1).map_or(lines.len(), |d| d.0);
        // Lines after the date line: header pieces while a field is missing
        // (or the line is a place), then the body.
        let mut body = Vec::new();
        let mut j = i + 1;
        let mut in_header = true;
        while j < next {
            if used[j] {
                j += 1;
                continue;
            }
            let l = &lines[j];
            if in_header && header_like(l) && !is_noise(l.text.trim()) {
                let named = pieces.iter().filter(|p| !looks_like_place(p)).count();
                let split = split_fields(&l.text);
                let has_pos = pieces.iter().any(|p| role_of(p) == Role::Position)
                    || pieces
                        .iter()
                        .any(|p| p.contains(" at ") && has_title_word(p));
                let has_org = pieces.iter().any(|p| role_of(p) == Role::Company);
                let fills = (!has_pos
                    && role_of(&l.text) == Role::Position
                    && l.text.split_whitespace().count() <= 7)
                    || (!has_org
                        && role_of(&l.text) == Role::Company
                        && l.text.split_whitespace().count() <= 7);
                if named < 2 || fills || split.iter().all(|s| looks_like_place(s)) {
                    pieces.extend(split);
                    used[j] = true;
                    j += 1;
                    continue;
                }
            }
            if is_noise(l.text.trim()) {
                j += 1;
                continue;
            }
            in_header = false;
            body.push(l.text.trim().to_string());
            j += 1;
        }
        entries.push(Entry {
            pieces,
            range: range.clone(),
            body,
        });
    }
    entries
}

// ---------------------------------------------------------------- education

fn has_degree_word(s: &str) -> bool {
    let ws = words_of(s);
    ws.iter().any(|w| {
        lexicon::DEGREE_WORDS.contains(&w.as_str())
            || (w.len() <= 6
                && w.chars().next().is_some_and(|c| c == 'b' || c == 'm')
                && s.contains(&format!("{}.", &w[..1].to_uppercase())))
    })
}

fn has_institution_word(s: &str) -> bool {
    // "Ludwig-Maximilians-Universität": look inside hyphenated names too.
    words_of(s)
        .iter()
        .flat_map(|w| w.split('-').map(str::to_string).collect::<Vec<_>>())
        .any(|w| lexicon::INSTITUTION_WORDS.contains(&w.as_str()))
}

fn parse_education(lines: &[Line]) -> Vec<Education> {
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        None,
        Inst,
        Degree,
        Other,
    }
    let mut out: Vec<Education> = Vec::new();
    let mut cur = Education::default();
    let mut last = Last::None;
    let mut degree_complete = false;
    let push = |cur: &mut Education, out: &mut Vec<Education>| {
        if cur.institution.is_some() || cur.study_type.is_some() {
            out.push(std::mem::take(cur));
        } else {
            *cur = Education::default();
        }
    };
    // A narrow column wraps "Universidade Federal do Rio de" / "Janeiro".
    let mut joined: Vec<Line> = Vec::new();
    for l in lines {
        match joined.last_mut() {
            Some(prev)
                if prev.text.split_whitespace().last().is_some_and(|w| {
                    is_particle(w) || matches!(w, "of" | "for" | "and" | "the" | "do" | "für")
                }) =>
            {
                // A year printed in a column beside the name stays apart.
                let next = l.text.trim();
                let (year, rest) = match next.split_once("   ") {
                    Some((y, r)) if y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()) => {
                        (y, r.trim())
                    }
                    _ => ("", next),
                };
                prev.text = format!("{} {}   {}", prev.text, rest, year);
            }
            _ => joined.push(l.clone()),
        }
    }
    let lines = &joined[..];
    let degree_has_area = |d: &str| d.contains(" in ") || d.contains(',') || d.contains('(');
    for l in lines {
        if l.bullet {
            continue;
        }
        let mut t = l.text.trim().to_string();
        let mut range = None;
        if let Some(r) = dates::find_range(&t) {
            t = format!("{}   {}", &t[..r.span.0], &t[r.span.1..]);
            range = Some(r);
        } else {
            // Single dates (a graduation year, or years printed in a column).
            while let Some((d, (a, b))) = dates::find_single(&t) {
                t = format!("{}   {}", &t[..a], &t[b..]);
                cur.end = Some(d);
            }
        }
        let line_dated = range.is_some();
        let lower = t.to_lowercase();
        let t = ["graduated", "expected", "completed"]
            .iter()
            .fold(t.clone(), |acc, w| match acc.to_lowercase().find(w) {
                Some(p) => format!("{}{}", &acc[..p], &acc[p + w.len()..]),
                None => acc,
            });
        if lower.trim_start().starts_with("gpa")
            || lower.contains("grade:")
            || lower.starts_with("score")
        {
            cur.score = Some(t.trim().to_string());
            continue;
        }
        // (piece, known to be the institution)
        let mut fields: Vec<(String, bool)> = Vec::new();
        for f in split_fields(&t) {
            if let Some((a, b)) = f.split_once(" at ")
                && (has_institution_word(b) || has_degree_word(a))
            {
                // "Degree at Institution": the right side is the school.
                fields.push((a.trim().to_string(), false));
                fields.push((b.trim().to_string(), true));
                continue;
            }
            fields.push((f, false));
        }
        for (f, is_school) in fields {
            let f = f.trim().to_string();
            if f.is_empty() || looks_like_place(&f) || f.split_whitespace().count() > 12 {
                continue;
            }
            if f.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
                continue;
            }
            let inst = is_school || has_institution_word(&f);
            let degree = has_degree_word(&f);
            let degree_first = degree
                && f.split_whitespace().next().is_some_and(|w| {
                    has_degree_word(w)
                        || w.eq_ignore_ascii_case("bachelor")
                        || w.eq_ignore_ascii_case("master")
                });
            if inst && !degree_first {
                if cur.institution.is_some() {
                    push(&mut cur, &mut out);
                }
                cur.institution = Some(institution_name(&f));
                last = Last::Inst;
            } else if degree {
                if cur.study_type.is_some() {
                    push(&mut cur, &mut out);
                }
                cur.study_type = Some(degree_text(&f));
                degree_complete = degree_has_area(&f);
                last = Last::Degree;
            } else if f.split_whitespace().count() <= 6 {
                // A line that repeats words of the degree is its area
                // ("Bachelor of Science in Nursing (BSN)" / "Nursing").
                let repeats = cur.study_type.as_deref().is_some_and(|d| {
                    let dw = words_of(d);
                    words_of(&f).iter().all(|w| dw.contains(w))
                });
                // A dated line starts the next entry; it is never an area.
                if last == Last::Degree
                    && cur.area.is_none()
                    && !line_dated
                    && (!degree_complete || repeats)
                {
                    cur.area = Some(f);
                } else if cur.institution.is_none() {
                    cur.institution = Some(institution_name(&f));
                } else {
                    push(&mut cur, &mut out);
                    cur.institution = Some(institution_name(&f));
                }
                last = Last::Other;
            }
        }
        if let Some(r) = range
            && cur.start.is_none()
        {
            cur.start = Some(r.start);
            cur.end = r.end;
        }
    }
    push(&mut cur, &mut out);
    out
}

fn institution_name(f: &str) -> String {
    let parts = comma_parts(f);
    if parts.len() > 1 && looks_like_place(&parts[1..].join(", ")) {
        return parts[0].clone();
    }
    f.trim_end_matches(',').trim().to_string()
}

fn degree_text(f: &str) -> String {
    f.replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(',')
        .to_string()
}

// ---------------------------------------------------------------- skills

fn parse_skills(lines: &[Line]) -> Vec<Skill> {
    // A list a narrow column wrapped: a line ending in a comma goes on.
    // So does a chip whose two halves make a skill the taxonomy knows
    // ("Medication" / "Administration") while the first half alone is not one.
    let mut joined: Vec<Line> = Vec::new();
    for l in lines {
        match joined.last_mut() {
            Some(prev) if prev.text.trim_end().ends_with(',') => {
                prev.text = format!("{} {}", prev.text.trim_end(), l.text.trim());
            }
            Some(prev) if wraps_into(&prev.text, &l.text) => {
                prev.text = format!("{} {}", prev.text.trim_end(), l.text.trim());
            }
            _ => joined.push(l.clone()),
        }
    }
    let mut out = Vec::new();
    for l in &joined {
        let t = l.text.trim();
        let (group, rest) = match t.split_once(':') {
            Some((g, r)) if g.split_whitespace().count() <= 5 && !r.trim().is_empty() => {
                (Some(g.trim()), r.trim())
            }
            _ => (None, t),
        };
        let items: Vec<String> = rest
            .split([',', ';', '|', '•', '·'])
            .flat_map(|p| p.split("   "))
            .map(|p| strip_level(p.trim()))
            .filter(|p| !p.is_empty() && p.split_whitespace().count() <= 6 && !is_level(p))
            // Spoken languages in a grid beside the skills belong elsewhere.
            .filter(|p| !is_spoken_language_item(p))
            .collect();
        if let Some(g) = group {
            out.push(Skill {
                name: g.to_string(),
                keywords: items,
                level: None,
            });
        } else {
            out.extend(items.into_iter().map(|name| Skill {
                name,
                keywords: Vec::new(),
                level: None,
            }));
        }
    }
    out
}

/// Whether both lines are skills the taxonomy knows (two chips, not one).
fn both_known(a: &str, b: &str) -> bool {
    taxonomy::canonical(a).is_some() && taxonomy::canonical(b).is_some()
}

/// A profile label printed above its handle ("GitHub" / "jdoe").
fn is_network_label(t: &str) -> bool {
    matches!(
        norm_heading(t).as_str(),
        "linkedin"
            | "github"
            | "gitlab"
            | "twitter"
            | "x"
            | "stack overflow"
            | "stackoverflow"
            | "behance"
            | "dribbble"
            | "website"
            | "portfolio"
            | "blog"
            | "medium"
            | "kaggle"
            | "instagram"
            | "facebook"
            | "xing"
            | "orcid"
            | "researchgate"
            | "mastodon"
    )
}

/// Whether the last item of `prev` and the first of `next` are one skill
/// that a narrow column wrapped.
fn wraps_into(prev: &str, next: &str) -> bool {
    let seps = |c: char| matches!(c, ',' | ';' | '|' | '·' | '•');
    let last = prev.rsplit("   ").next().unwrap_or(prev);
    let last = last.rsplit(seps).next().unwrap_or(last).trim();
    let first = next.split("   ").next().unwrap_or(next);
    let first = first.split(seps).next().unwrap_or(first).trim();
    if last.is_empty() || first.is_empty() || last.contains(':') || first.contains(':') {
        return false;
    }
    let both = format!("{last} {first}");
    let both_tight = format!("{last}{first}");
    let known = |s: &str| taxonomy::canonical(s).is_some();
    (known(&both)
        || (last.ends_with('/') && known(&both_tight))
        || (last.ends_with("/Continuous") && known(&both)))
        && !(known(last) && known(first))
}

/// A spoken language, alone or with a level, or a CEFR level.
fn is_spoken_language_item(p: &str) -> bool {
    let t = p.trim();
    let cefr = t.len() == 2
        && matches!(t.as_bytes()[0], b'A' | b'B' | b'C')
        && matches!(t.as_bytes()[1], b'1' | b'2');
    if cefr {
        return true;
    }
    let words = words_of(t);
    !words.is_empty()
        && words.len() <= 4
        && names_spoken_language(t)
        && words.iter().all(|w| {
            names_spoken_language(w)
                || is_level(w)
                || matches!(
                    w.as_str(),
                    "native"
                        | "speaker"
                        | "working"
                        | "proficiency"
                        | "professional"
                        | "limited"
                        | "full"
                        | "elementary"
                        | "c1"
                        | "c2"
                        | "b1"
                        | "b2"
                        | "a1"
                        | "a2"
                )
        })
}

/// Short, non-sentence lines of a summary/contact block that are neither
/// contact details nor a place: the chips of a sidebar skill list.
fn sidebar_skill_lines(lines: &[Line]) -> Vec<Line> {
    let hard_contact = |t: &str| {
        is_contact_fragment(t) || t.contains('@') || URL.is_match(t) || is_network_label(t)
    };
    let start = lines
        .iter()
        .rposition(|l| hard_contact(l.text.trim()))
        .map_or(0, |i| i + 1);
    let mut out: Vec<Line> = Vec::new();
    let mut started = false;
    for l in &lines[start..] {
        let t = l.text.trim();
        let words = t.split_whitespace().count();
        let sentence = t.ends_with('.') || words > 6;
        if sentence || hard_contact(t) || location_of(t, false).is_some() {
            continue;
        }
        if t.len() == 2 && t.chars().all(|c| c.is_ascii_uppercase()) && !started {
            continue; // a country code under the city
        }
        if !started && !t.starts_with(|c: char| c.is_uppercase()) {
            continue; // a profile handle before the list
        }
        started = true;
        out.push(l.clone());
    }
    // Chips set apart by blank lines: a line with no blank before it is the
    // rest of a chip the narrow column wrapped.
    let spaced = out.iter().skip(1).filter(|l| l.gap_before).count();
    if out.len() > 3 && spaced * 10 >= (out.len() - 1) * 6 {
        let mut joined: Vec<Line> = Vec::new();
        for l in out {
            match joined.last_mut() {
                Some(prev) if !l.gap_before && !both_known(&prev.text, &l.text) => {
                    prev.text = format!("{} {}", prev.text, l.text.trim());
                }
                _ => joined.push(l),
            }
        }
        return joined;
    }
    out
}

fn is_level(p: &str) -> bool {
    lexicon::LEVEL_WORDS.contains(&p.to_lowercase().as_str())
}

fn strip_level(p: &str) -> String {
    let p = p.trim().trim_end_matches('.');
    if let Some(open) = p.rfind(" (")
        && p.ends_with(')')
        && is_level(&p[open + 2..p.len() - 1])
    {
        return p[..open].trim().to_string();
    }
    p.to_string()
}

fn dedup_skills(skills: &mut Vec<Skill>) {
    let mut seen = HashSet::new();
    skills.retain(|s| !s.keywords.is_empty() || seen.insert(s.name.to_lowercase()));
}

// ---------------------------------------------------------------- others

fn parse_languages(lines: &[Line]) -> Vec<Language> {
    let mut out = Vec::new();
    for l in lines {
        for p in l.text.split([',', '|', '·']).flat_map(|p| p.split("   ")) {
            let p = p.trim();
            if p.is_empty() || is_level(p) {
                continue;
            }
            let (language, fluency) = match p.split_once(" (") {
                Some((a, b)) => (a.trim(), Some(b.trim_end_matches(')').trim().to_string())),
                None => match p.split_once(':').or_else(|| p.split_once(" - ")) {
                    Some((a, b)) => (a.trim(), Some(b.trim().to_string())),
                    None => (p, None),
                },
            };
            out.push(Language {
                language: language.to_string(),
                fluency,
            });
        }
    }
    out
}

fn parse_certificates(lines: &[Line]) -> Vec<Certificate> {
    lines
        .iter()
        .filter(|l| !l.text.to_lowercase().starts_with("issued by"))
        .filter_map(|l| {
            let mut t = l.text.clone();
            let date = dates::find_single(&t).map(|(d, (a, b))| {
                t = format!("{}{}", &t[..a], &t[b..]);
                d
            });
            let parts: Vec<String> = t
                .split([',', '|', '·', '—'])
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            let name = parts.first()?.clone();
            Some(Certificate {
                name,
                issuer: parts.get(1).cloned(),
                date,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::model::YearMonth;

    const PLAIN: &str = "Jane Q. Doe\nData Engineer\nLocation: Denver, CO, US\nPhone: (415) 555-0132\nEmail: Jane.Doe@Example.com\n\n== Work History ==\nSenior Data Engineer, Acme Analytics Inc. — Denver, CO\nJan 2020 – Present\n  * Built pipelines\n\nData Engineer, Beta Labs\n03/2017 - 12/2019\n\n== Education ==\nB.Sc. Computer Science\nUniversity of Colorado, 2013 - 2017\n\n== Skills ==\nLanguages: Python, SQL\nCloud: k8s, AWS\n";

    #[test]
    fn parses_a_plain_resume() {
        let r = parse_text(PLAIN);
        assert_eq!(r.basics.name.as_deref(), Some("Jane Q. Doe"));
        assert_eq!(r.basics.email.as_deref(), Some("jane.doe@example.com"));
        assert_eq!(r.basics.phone.as_deref(), Some("+14155550132"));
        assert_eq!(r.basics.location.city.as_deref(), Some("Denver"));
        assert_eq!(r.work.len(), 2);
        assert_eq!(r.work[0].company.as_deref(), Some("Acme Analytics Inc."));
        assert_eq!(r.work[0].position.as_deref(), Some("Senior Data Engineer"));
        assert_eq!(r.work[0].start, YearMonth::new(2020, 1));
        assert_eq!(r.work[0].end, None);
        assert_eq!(r.work[1].company.as_deref(), Some("Beta Labs"));
        assert_eq!(r.work[1].end, YearMonth::new(2019, 12));
        assert_eq!(r.education.len(), 1);
        assert_eq!(
            r.education[0].institution.as_deref(),
            Some("University of Colorado")
        );
        assert_eq!(
            r.education[0].study_type.as_deref(),
            Some("B.Sc. Computer Science")
        );
        let names: Vec<&str> = r
            .skills
            .iter()
            .flat_map(|s| {
                std::iter::once(s.name.as_str()).chain(s.keywords.iter().map(|k| k.as_str()))
            })
            .collect();
        for want in ["Python", "SQL", "k8s", "AWS", "Cloud"] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
    }

    #[test]
    fn company_first_layout_with_dates_on_the_line() {
        let t = "Ann Lee\nEXPERIENCE\nGlobex GmbH   July 2023 - Today\nFinancial Analyst, Stuttgart, Baden-Württemberg\n- Built a model\nInitech Ltd   2019 - 2023\nJunior Accountant\n";
        let r = parse_text(t);
        assert_eq!(r.work.len(), 2);
        assert_eq!(r.work[0].company.as_deref(), Some("Globex GmbH"));
        assert_eq!(r.work[0].position.as_deref(), Some("Financial Analyst"));
        assert_eq!(r.work[1].company.as_deref(), Some("Initech Ltd"));
        assert_eq!(r.work[1].start, Some(YearMonth::year(2019)));
    }

    #[test]
    fn position_at_company_and_piped_rows() {
        let r = parse_text(
            "Bo Chen\nWORK EXPERIENCE\nBackend Developer at Northwind   Sept 2024 - Mar 2026\n",
        );
        assert_eq!(r.work[0].position.as_deref(), Some("Backend Developer"));
        assert_eq!(r.work[0].company.as_deref(), Some("Northwind"));
        let r = parse_text(
            "Bo Chen\nExperience\n02.2024 – present | Registered Nurse | Hollowpoint Medical Center Co. | Phoenix\n",
        );
        assert_eq!(r.work[0].position.as_deref(), Some("Registered Nurse"));
        assert_eq!(
            r.work[0].company.as_deref(),
            Some("Hollowpoint Medical Center Co.")
        );
        assert_eq!(r.work[0].end, None);
    }

    #[test]
    fn summer_internship() {
        let r =
            parse_text("Al Roy\nExperience\nSoftware Engineering Intern, Initech\nSummer 2018\n");
        assert_eq!(r.work[0].start, YearMonth::new(2018, 6));
        assert_eq!(r.work[0].end, YearMonth::new(2018, 8));
    }

    #[test]
    fn location_forms() {
        let l = location_of("Abu Dhabi AE", false).unwrap();
        assert_eq!(l.city.as_deref(), Some("Abu Dhabi"));
        assert_eq!(l.country_code.as_deref(), Some("AE"));
        let l = location_of("Köln, Nordrhein-Westfalen DE", false).unwrap();
        assert_eq!(l.city.as_deref(), Some("Köln"));
        assert_eq!(
            location_of("Singapore", false).unwrap().city.as_deref(),
            Some("Singapore")
        );
        assert!(location_of("Hollowpeak Interactive, LLC", false).is_none());
    }

    #[test]
    fn label_column_headings_and_wrapped_sentence_ends() {
        // "Work" printed on the first entry's baseline; "experience" ending
        // a wrapped highlight is not a heading.
        let t = "Ana Lima\nWork   Design Lead\nThompson & Cooper FZE\nFeb 2023 – Present\nAbu Dhabi, UAE\nShipped a checkout\nexperience\nSenior UX Designer\nHollowpeak Interactive, LLC\nNov 2019 – Jan 2023\nEducation   Heriot-Watt University Dubai\nBachelor of Fine Arts in Visual Communication\nSep 2001 – Jun 2005\n";
        let r = parse_text(t);
        assert_eq!(r.work.len(), 2, "{:?}", r.work);
        assert_eq!(r.work[0].position.as_deref(), Some("Design Lead"));
        assert_eq!(r.work[0].company.as_deref(), Some("Thompson & Cooper FZE"));
        assert_eq!(r.work[1].position.as_deref(), Some("Senior UX Designer"));
        assert_eq!(
            r.work[1].company.as_deref(),
            Some("Hollowpeak Interactive, LLC")
        );
        assert_eq!(
            r.education[0].institution.as_deref(),
            Some("Heriot-Watt University Dubai")
        );
    }

    #[test]
    fn page_two_of_a_sidebar_layout_goes_back_to_work() {
        let t = "Ann Lee\nWORK EXPERIENCE\nGlobex GmbH   Berlin\nJuly 2023 – Present\nFinancial Analyst\nSKILLS\nBudgeting\n\u{0C}\nInitech Ltd   Hamburg\n2019 – 2023\nJunior Accountant\n";
        let r = parse_text(t);
        assert_eq!(r.work.len(), 2, "{:?}", r.work);
        assert_eq!(r.work[1].company.as_deref(), Some("Initech Ltd"));
        assert_eq!(r.work[1].position.as_deref(), Some("Junior Accountant"));
        let skills: Vec<&str> = r.skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(skills, ["Budgeting"]);
    }

    #[test]
    fn skills_groups_wraps_and_language_groups() {
        let t = "Bo Chen\nCORE SKILLS\nLanguages\nJavaScript, Python, Go,\nJava\nFinance\nBudgeting, Variance\nAnalysis\nClinical\nMedication\nAdministration\nLANGUAGES\nEnglish (Native speaker)\n";
        let r = parse_text(t);
        let names: Vec<&str> = r.skills.iter().map(|s| s.name.as_str()).collect();
        for want in [
            "Languages",
            "JavaScript",
            "Java",
            "Variance Analysis",
            "Medication Administration",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(!names.contains(&"Analysis") && !names.contains(&"English"));
        assert_eq!(r.languages[0].language, "English");
        assert_eq!(r.languages[0].fluency.as_deref(), Some("Native speaker"));
    }

    #[test]
    fn sidebar_chips_under_the_contact_block() {
        let t = "Marthe Renault\nData Engineer\nAbout\nLille Hauts-de-France\nFR\nmarthe.renault@yahoo.c\nom\n+33 6 72 05 02 29\nGitHub\nmrenault\n\nMachine Learning\n\nTensorFlow\n\nTime Series\nForecasting\n\nscikit-learn\n\nSummary\nData engineer who ships.\n";
        let r = parse_text(t);
        assert_eq!(r.basics.email.as_deref(), Some("marthe.renault@yahoo.com"));
        assert_eq!(r.basics.location.city.as_deref(), Some("Lille"));
        let names: Vec<&str> = r.skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Machine Learning",
                "TensorFlow",
                "Time Series Forecasting",
                "scikit-learn"
            ]
        );
    }

    #[test]
    fn phones_become_e164_only_when_the_country_is_known() {
        assert_eq!(e164("+49 (0)151 2345 6789", None), "+4915123456789");
        assert_eq!(e164("090-1234-5678", Some("JP")), "+819012345678");
        assert_eq!(e164("090-1234-5678", None), "090-1234-5678");
        assert!(phone_in("2019-03 to 2021-11").is_none());
    }
}
