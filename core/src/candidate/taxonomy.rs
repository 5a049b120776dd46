//! An alias-aware skill taxonomy: `canonical("k8s") == Some("Kubernetes")`,
//! and whole-word search for known skills in free text.
//!
//! Two embedded tables (see docs/parsing.md for sources and licences):
//! `data/skill_aliases.tsv`, hand-made (technology, finance, design,
//! nursing and engineering skills with their usual aliases), and
//! `data/esco_tools.tsv`, tool and technology names derived from ESCO. The
//! hand-made table wins when both name a skill.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use unicode_normalization::UnicodeNormalization;

const MANUAL: &str = include_str!("../../data/skill_aliases.tsv");
const ESCO: &str = include_str!("../../data/esco_tools.tsv");

/// Where a canonical skill comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Manual,
    /// ESCO, with the concept id (the last segment of its URI).
    Esco(&'static str),
}

#[derive(Debug)]
struct Entry {
    name: &'static str,
    source: Source,
}

/// A known skill found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillMatch {
    pub canonical: &'static str,
    /// Byte range of the words as printed.
    pub start: usize,
    pub end: usize,
}

/// The loaded taxonomy.
pub struct Taxonomy {
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    /// Case-insensitive patterns (longer names and aliases).
    folded: AhoCorasick,
    folded_ids: Vec<usize>,
    /// Case-sensitive patterns: short aliases ("R", "Go", "JS") and ESCO names.
    exact: AhoCorasick,
    exact_ids: Vec<usize>,
}

/// Lookup key: NFKC, lower case, whitespace collapsed, a trailing level in
/// parentheses dropped ("Python (Expert)").
pub fn key(s: &str) -> String {
    let s: String = s.nfkc().collect::<String>().to_lowercase();
    let s = match s.rfind(" (") {
        Some(p) if s.ends_with(')') => {
            let inner = &s[p + 2..s.len() - 1];
            if [
                "expert",
                "advanced",
                "intermediate",
                "beginner",
                "basic",
                "proficient",
                "native",
                "fluent",
            ]
            .contains(&inner)
            {
                s[..p].to_string()
            } else {
                s
            }
        }
        _ => s,
    };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn load() -> Taxonomy {
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut folded_pats: Vec<&'static str> = Vec::new();
    let mut folded_ids = Vec::new();
    let mut exact_pats: Vec<&'static str> = Vec::new();
    let mut exact_ids = Vec::new();
    let tables: [(&'static str, bool); 2] = [(MANUAL, true), (ESCO, false)];
    for (table, manual) in tables {
        for line in table.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let name = cols.next().unwrap_or("").trim();
            if name.is_empty() || by_key.contains_key(&key(name)) {
                continue;
            }
            let aliases = cols.next().unwrap_or("");
            let source = if manual {
                Source::Manual
            } else {
                Source::Esco(cols.next().unwrap_or("").trim())
            };
            let id = entries.len();
            entries.push(Entry { name, source });
            let forms = std::iter::once(name).chain(aliases.split('|').map(str::trim));
            for form in forms.filter(|f| !f.is_empty()) {
                let k = key(form);
                if by_key.contains_key(&k) && form != name {
                    continue; // an alias never steals another skill's name
                }
                by_key.insert(k, id);
                // Short forms and ESCO names only match as printed.
                if !manual || form.chars().count() <= 3 {
                    exact_pats.push(form);
                    exact_ids.push(id);
                } else {
                    folded_pats.push(form);
                    folded_ids.push(id);
                }
            }
        }
    }
    let build = |pats: &[&str], ci: bool| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(ci)
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .expect("skill patterns build")
    };
    Taxonomy {
        folded: build(&folded_pats, true),
        exact: build(&exact_pats, false),
        entries,
        by_key,
        folded_ids,
        exact_ids,
    }
}

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(load);

/// The embedded taxonomy.
pub fn taxonomy() -> &'static Taxonomy {
    &TAXONOMY
}

/// The canonical name of a skill or alias, if known.
pub fn canonical(name: &str) -> Option<&'static str> {
    taxonomy().canonical(name)
}

/// Known skills named in `text`, as whole words, in order of appearance.
pub fn find_skills(text: &str) -> Vec<SkillMatch> {
    taxonomy().find(text)
}

impl Taxonomy {
    pub fn canonical(&self, name: &str) -> Option<&'static str> {
        self.by_key.get(&key(name)).map(|&i| self.entries[i].name)
    }

    /// Where a canonical skill comes from.
    pub fn source(&self, canonical: &str) -> Option<Source> {
        self.by_key
            .get(&key(canonical))
            .map(|&i| self.entries[i].source)
    }

    /// Number of canonical skills.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn find(&self, text: &str) -> Vec<SkillMatch> {
        let mut found: Vec<SkillMatch> = Vec::new();
        for (ac, ids) in [
            (&self.folded, &self.folded_ids),
            (&self.exact, &self.exact_ids),
        ] {
            for m in ac.find_iter(text) {
                if !whole_word(text, m.start(), m.end()) {
                    continue;
                }
                found.push(SkillMatch {
                    canonical: self.entries[ids[m.pattern().as_usize()]].name,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        // Drop matches inside a longer one ("Spark" in "Apache Spark").
        let mut out: Vec<SkillMatch> = Vec::new();
        for m in found {
            if out.last().is_some_and(|l| m.start < l.end) {
                continue;
            }
            out.push(m);
        }
        out
    }
}

fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    // "C++" / "C#" / ".NET" carry their own punctuation; "C" in "C++" must not
    // match, so a following + or # also joins the word.
    !word(before) && !word(after) && !matches!(after, Some('+' | '#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_canonical_names() {
        assert_eq!(canonical("k8s"), Some("Kubernetes"));
        assert_eq!(canonical("JS"), Some("JavaScript"));
        assert_eq!(canonical("postgres"), Some("PostgreSQL"));
        assert_eq!(canonical("AWS"), Some("Amazon Web Services"));
        assert_eq!(canonical("MS Excel"), Some("Microsoft Excel"));
        assert_eq!(canonical("BLS"), Some("Basic Life Support"));
        assert_eq!(canonical("Python (Expert)"), Some("Python"));
        assert_eq!(canonical("Haskell"), Some("Haskell")); // from ESCO
        assert_eq!(canonical("basket weaving"), None);
        assert!(matches!(taxonomy().source("Haskell"), Some(Source::Esco(id)) if !id.is_empty()));
        assert_eq!(taxonomy().source("Kubernetes"), Some(Source::Manual));
    }

    #[test]
    fn finds_whole_words_only() {
        let text =
            "Built services in Go and Rust on k8s; used Postgres, C++ and C#. Gopher. Rusty.";
        let names: Vec<&str> = find_skills(text).iter().map(|m| m.canonical).collect();
        assert_eq!(
            names,
            ["Go", "Rust", "Kubernetes", "PostgreSQL", "C++", "C#"]
        );
        // Case matters for short aliases: "go" the verb is not Go.
        assert!(find_skills("we go home").is_empty());
        // The longest name wins.
        let m = find_skills("Apache Spark jobs");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].canonical, "Apache Spark");
        assert_eq!(&"Apache Spark jobs"[m[0].start..m[0].end], "Apache Spark");
    }

    #[test]
    fn table_is_compact_and_loads() {
        assert!(MANUAL.len() + ESCO.len() < 300_000);
        assert!(taxonomy().len() > 150);
    }
}
