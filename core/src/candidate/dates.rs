//! Date ranges as resumes print them: `Jan 2020 – Present`, `January 2020 -
//! Current`, `2019-03 to 2021-11`, `03/2019 - 11/2021`, `03.2019 – 11.2021`,
//! `Mar. 2019 — Nov. 2021`, `2017–2019`, `Summer 2018`, `Fall 2019`.
//! An open end (Present, Current, Now, Today, Ongoing) is `end: None`.

use std::sync::LazyLock;

use regex::Regex;

use crate::candidate::model::YearMonth;

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
const SEASON: &str = r"(?:spring|summer|fall|autumn|winter)";

fn token() -> String {
    format!(
        r"(?:{MONTH}\s*,?\s*(?:19|20)\d\d|{SEASON}\s+(?:19|20)\d\d|(?:0?[1-9]|1[0-2])\s*[/.]\s*(?:19|20)\d\d|(?:19|20)\d\d\s*[-/.]\s*(?:0[1-9]|1[0-2])\b|(?:19|20)\d\d)"
    )
}

const OPEN: &str = r"(?:present|current|now|today|ongoing|date)";

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let t = token();
    Regex::new(&format!(
        r"(?i)\b(?P<a>{t})\s*(?:-|–|—|‒|―|~|\bto\b|\buntil\b|\btill\b|\bthrough\b|\bthru\b)\s*(?P<b>{t}|{OPEN})\b"
    ))
    .expect("valid range regex")
});

static SINGLE_SEASON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)\b{SEASON}\s+(?:19|20)\d\d\b")).expect("valid season regex")
});

static SINGLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b{}\b", token())).expect("valid token regex"));

/// A date range found in a line, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRange {
    pub start: YearMonth,
    /// `None` = present.
    pub end: Option<YearMonth>,
    /// Byte span of the match in the line.
    pub span: (usize, usize),
}

/// The first date range in `line`, if any.
pub fn find_range(line: &str) -> Option<DateRange> {
    if let Some(c) = RANGE.captures(line) {
        let m = c.get(0).expect("whole match");
        let a = c.name("a").expect("group a").as_str();
        let b = c.name("b").expect("group b").as_str();
        let (start, _) = parse_token(a)?;
        let end = if is_open(b) {
            None
        } else {
            let (_, e) = parse_token(b)?;
            Some(e)
        };
        // 2019-2017 is not a range; 2019-05 matched as year-month elsewhere.
        if let Some(e) = end
            && e.index(12) < start.index(1)
        {
            return None;
        }
        return Some(DateRange {
            start,
            end,
            span: (m.start(), m.end()),
        });
    }
    let m = SINGLE_SEASON.find(line)?;
    let (start, end) = parse_token(m.as_str())?;
    Some(DateRange {
        start,
        end: Some(end),
        span: (m.start(), m.end()),
    })
}

/// A single date in `line` (e.g. a graduation or certificate date).
pub fn find_single(line: &str) -> Option<(YearMonth, (usize, usize))> {
    let m = SINGLE.find(line)?;
    let (d, _) = parse_token(m.as_str())?;
    Some((d, (m.start(), m.end())))
}

fn is_open(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "present" | "current" | "now" | "today" | "ongoing" | "date"
    )
}

/// Month number of an English month name or abbreviation.
pub fn month_number(word: &str) -> Option<u8> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    NAMES
        .iter()
        .position(|n| n.starts_with(&w) || (w == "sept" && *n == "september"))
        .map(|i| i as u8 + 1)
}

/// A date token as (first month, last month): equal except for seasons.
fn parse_token(tok: &str) -> Option<(YearMonth, YearMonth)> {
    let t = tok.trim();
    let lower = t.to_ascii_lowercase();
    let digits_year = |s: &str| -> Option<u16> {
        let y: u16 = s.trim().parse().ok()?;
        (1900..=2099).contains(&y).then_some(y)
    };
    if let Some(first) = lower.split_whitespace().next() {
        let word = first.trim_end_matches([',', '.']);
        let rest = lower[first.len()..].trim().trim_start_matches(',').trim();
        let season = match word {
            "spring" => Some((3, 5)),
            "summer" => Some((6, 8)),
            "fall" | "autumn" => Some((9, 12)),
            "winter" => Some((1, 3)),
            _ => None,
        };
        if let Some((a, b)) = season {
            let y = digits_year(rest)?;
            return Some((YearMonth::new(y, a)?, YearMonth::new(y, b)?));
        }
        if word.chars().all(|c| c.is_ascii_alphabetic()) {
            let m = month_number(word)?;
            let y = digits_year(rest)?;
            let d = YearMonth::new(y, m)?;
            return Some((d, d));
        }
    }
    // Compact letter+year forms like "Jan2020".
    if lower.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let split = lower.find(|c: char| c.is_ascii_digit())?;
        let m = month_number(&lower[..split])?;
        let d = YearMonth::new(digits_year(&lower[split..])?, m)?;
        return Some((d, d));
    }
    let parts: Vec<&str> = lower
        .split(['/', '.', '-'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let d = match parts.as_slice() {
        [y] => YearMonth::year(digits_year(y)?),
        [a, b] if a.len() == 4 => YearMonth::new(digits_year(a)?, b.parse().ok()?)?,
        [a, b] => YearMonth::new(digits_year(b)?, a.parse().ok()?)?,
        _ => return None,
    };
    Some((d, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: u16, m: u8) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    fn range(s: &str) -> (YearMonth, Option<YearMonth>) {
        let r = find_range(s).unwrap_or_else(|| panic!("no range in {s:?}"));
        (r.start, r.end)
    }

    #[test]
    fn all_documented_styles() {
        assert_eq!(range("Jan 2020 – Present"), (ym(2020, 1), None));
        assert_eq!(range("January 2020 - Current"), (ym(2020, 1), None));
        assert_eq!(
            range("2019-03 to 2021-11"),
            (ym(2019, 3), Some(ym(2021, 11)))
        );
        assert_eq!(
            range("03/2019 - 11/2021"),
            (ym(2019, 3), Some(ym(2021, 11)))
        );
        assert_eq!(
            range("03.2019 – 11.2021"),
            (ym(2019, 3), Some(ym(2021, 11)))
        );
        assert_eq!(
            range("Mar. 2019 — Nov. 2021"),
            (ym(2019, 3), Some(ym(2021, 11)))
        );
        assert_eq!(
            range("2017–2019"),
            (YearMonth::year(2017), Some(YearMonth::year(2019)))
        );
        assert_eq!(range("Summer 2018"), (ym(2018, 6), Some(ym(2018, 8))));
        assert_eq!(range("Fall 2019"), (ym(2019, 9), Some(ym(2019, 12))));
        assert_eq!(
            range("Sept 2024 - Mar 2026"),
            (ym(2024, 9), Some(ym(2026, 3)))
        );
        assert_eq!(range("2022-04 to Now"), (ym(2022, 4), None));
        assert_eq!(range("05/2021 – today"), (ym(2021, 5), None));
    }

    #[test]
    fn range_inside_a_line_reports_its_span() {
        let line = "Senior Engineer (09/2023 - 05/2026)";
        let r = find_range(line).unwrap();
        assert_eq!(&line[r.span.0..r.span.1], "09/2023 - 05/2026");
        let line = "02.2024 – present | Registered Nurse | Hollowpoint";
        let r = find_range(line).unwrap();
        assert_eq!(r.span.0, 0);
        assert_eq!(r.end, None);
    }

    #[test]
    fn non_dates_are_not_ranges() {
        assert!(find_range("+1 415-555-0132").is_none());
        assert!(find_range("Reduced cost by 20-30%").is_none());
        assert!(find_range("Built 3 apps in 2019").is_none());
        assert!(find_range("2021 - 2019").is_none());
    }

    #[test]
    fn single_dates() {
        assert_eq!(find_single("Graduated 05.2014").unwrap().0, ym(2014, 5));
        assert_eq!(
            find_single("CPA, AICPA, January 2024").unwrap().0,
            ym(2024, 1)
        );
        assert_eq!(month_number("Sept."), Some(9));
        assert_eq!(month_number("ma"), None);
    }
}
