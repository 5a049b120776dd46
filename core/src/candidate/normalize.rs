//! Normalisation of parsed values: dates to year-month, e-mails lower-cased,
//! skills deduplicated under canonical names, and months of experience with
//! overlapping jobs counted once. Pure: "now" is always an argument.

use std::collections::HashSet;

use crate::candidate::dates;
use crate::candidate::model::{Skill, YearMonth};
use crate::candidate::taxonomy;

/// A printed date ("Mar. 2019", "03/2019", "2019-03-15", "2017") as a
/// `YearMonth`. For a season the first month is returned.
pub fn date(s: &str) -> Option<YearMonth> {
    if let Ok(d) = s.trim().parse::<YearMonth>() {
        return Some(d);
    }
    dates::find_range(s)
        .filter(|r| r.span == (0, s.trim_end().len()) || s.split_whitespace().count() <= 2)
        .map(|r| r.start)
        .or_else(|| dates::find_single(s).map(|(d, _)| d))
}

/// A lower-cased address without `mailto:`, or `None` if it is not one.
pub fn email(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s
        .strip_prefix("mailto:")
        .or_else(|| s.strip_prefix("MAILTO:"))
        .unwrap_or(s);
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace);
    ok.then(|| s.to_lowercase())
}

/// Every skill name and keyword, under its canonical name where the taxonomy
/// knows it, first occurrence kept, case-insensitively unique.
pub fn skill_names(skills: &[Skill]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in skills {
        for raw in std::iter::once(&s.name).chain(s.keywords.iter()) {
            let name = raw.trim();
            if name.is_empty() {
                continue;
            }
            let canon = taxonomy::canonical(name).map_or_else(|| name.to_string(), str::to_string);
            if seen.insert(canon.to_lowercase()) {
                out.push(canon);
            }
        }
    }
    out
}

/// Months covered by the union of the ranges, inclusive of both ends. A
/// year-only start is January, a year-only end December, an open end
/// (`None`) is `as_of`; nothing after `as_of` counts. Overlaps count once.
pub fn experience_months(ranges: &[(YearMonth, Option<YearMonth>)], as_of: YearMonth) -> u32 {
    let limit = as_of.index(12);
    let mut spans: Vec<(i32, i32)> = ranges
        .iter()
        .map(|(s, e)| {
            let start = s.index(1);
            let end = e.map_or(limit, |e| e.index(12)).min(limit);
            (start, end)
        })
        .filter(|(s, e)| s <= e)
        .collect();
    spans.sort();
    let mut total = 0i32;
    let mut current: Option<(i32, i32)> = None;
    for (s, e) in spans {
        match current {
            Some((cs, ce)) if s <= ce + 1 => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs + 1;
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = current {
        total += ce - cs + 1;
    }
    total as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: u16, m: u8) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn dates_and_emails() {
        assert_eq!(date("Mar. 2019"), Some(ym(2019, 3)));
        assert_eq!(date("03/2019"), Some(ym(2019, 3)));
        assert_eq!(date("2019-03-15"), Some(ym(2019, 3)));
        assert_eq!(date("2017"), Some(YearMonth::year(2017)));
        assert_eq!(date("soon"), None);
        assert_eq!(
            email("MAILTO:Ana.Lima@Example.COM").as_deref(),
            Some("ana.lima@example.com")
        );
        assert_eq!(email("not an email"), None);
        assert_eq!(email("a@b"), None);
    }

    #[test]
    fn skills_dedup_under_canonical_names() {
        let skills = vec![
            Skill {
                name: "Cloud".into(),
                keywords: vec!["k8s".into(), "AWS".into()],
                level: None,
            },
            Skill {
                name: "Kubernetes".into(),
                keywords: vec![],
                level: None,
            },
            Skill {
                name: "amazon web services".into(),
                keywords: vec!["Basket Weaving".into()],
                level: None,
            },
        ];
        assert_eq!(
            skill_names(&skills),
            [
                "Cloud",
                "Kubernetes",
                "Amazon Web Services",
                "Basket Weaving"
            ]
        );
    }

    #[test]
    fn experience_counts_overlaps_once() {
        let as_of = ym(2026, 10);
        // Jan 2020 – Dec 2020 and Jul 2020 – Jun 2021 overlap: 18 months.
        let r = [
            (ym(2020, 1), Some(ym(2020, 12))),
            (ym(2020, 7), Some(ym(2021, 6))),
        ];
        assert_eq!(experience_months(&r, as_of), 18);
        // A gap is not counted; an adjacent range joins.
        let r = [
            (ym(2018, 1), Some(ym(2018, 3))),
            (ym(2018, 4), Some(ym(2018, 4))),
            (ym(2019, 1), Some(ym(2019, 1))),
        ];
        assert_eq!(experience_months(&r, as_of), 5);
        // Year-only: 2017 – 2019 is 36 months; an open end runs to as_of.
        assert_eq!(
            experience_months(
                &[(YearMonth::year(2017), Some(YearMonth::year(2019)))],
                as_of
            ),
            36
        );
        assert_eq!(experience_months(&[(ym(2026, 1), None)], as_of), 10);
        // Nothing after as_of counts, and a backwards range is ignored.
        assert_eq!(
            experience_months(&[(ym(2026, 9), Some(ym(2027, 12)))], as_of),
            2
        );
        assert_eq!(
            experience_months(&[(ym(2022, 1), Some(ym(2021, 1)))], as_of),
            0
        );
    }
}
