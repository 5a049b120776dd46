//! Rank the evaluation corpus with the local matcher, for `score_rank.py`.
//!
//! ```text
//! cargo run --release -p resumeflow --example rank_corpus -- \
//!     JDS_DIR RESUMES_DIR OUT.json [--with-criteria] [--as-of YYYY-MM] [--evidence DIR]
//! ```
//!
//! For every `<jd>.md` in JDS_DIR the posting's text is turned into criteria by
//! `extract_criteria`; with `--with-criteria` the `<jd>.criteria.json` beside it is merged
//! over them as explicit parameters. Every document in RESUMES_DIR (`<id>.<layout>.<ext>`)
//! is extracted and parsed with the heuristic parser and scored; a resume's score is the
//! mean over its documents. Writes `{jd: {resume_id: score}}`. Reads documents and postings
//! only: never truth, manifest or relevance files.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use resumeflow::candidate::heuristic;
use resumeflow::candidate::model::YearMonth;
use resumeflow::extract::{ExtractLimits, extract, sniff};
use resumeflow::jd::criteria::{Criteria, extract_criteria};
use resumeflow::scoring::matcher::{LocalScore, score};

fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    v.sort();
    v
}

/// The current month from the system clock (UTC), for when `--as-of` is not given.
fn this_month() -> YearMonth {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    YearMonth::new(year, month).expect("valid month")
}

fn main() {
    let mut pos = Vec::new();
    let mut with_criteria = false;
    let mut as_of = None;
    let mut evidence_dir: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--with-criteria" => with_criteria = true,
            "--as-of" => as_of = Some(args.next().expect("--as-of YYYY-MM")),
            "--evidence" => evidence_dir = Some(args.next().expect("--evidence DIR")),
            _ => pos.push(a),
        }
    }
    let [jds, resumes, out] = <[String; 3]>::try_from(pos).unwrap_or_else(|_| {
        panic!("usage: rank_corpus JDS_DIR RESUMES_DIR OUT.json [--with-criteria] [--as-of YYYY-MM] [--evidence DIR]")
    });
    let as_of: YearMonth = as_of.map_or_else(this_month, |s| s.parse().expect("YYYY-MM"));

    // Parse every document once.
    let mut docs = Vec::new();
    for p in files(Path::new(&resumes), |n| {
        [".pdf", ".docx", ".txt", ".doc", ".rtf", ".html"]
            .iter()
            .any(|e| n.ends_with(e))
    }) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let id = name.split('.').next().unwrap_or(&name).to_string();
        let bytes = std::fs::read(&p).expect("read document");
        match sniff(&bytes)
            .ok_or(resumeflow::extract::ExtractError::Unsupported)
            .and_then(|k| extract(&bytes, k, &ExtractLimits::default()))
        {
            Ok(text) => {
                let parsed = heuristic::parse(&text);
                docs.push((id, name, parsed, text.text));
            }
            Err(e) => eprintln!("{name}: {e}"),
        }
    }

    let mut all: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for md in files(Path::new(&jds), |n| n.ends_with(".md")) {
        let jd = md.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&md).expect("read posting");
        let mut criteria = extract_criteria(&text);
        if with_criteria {
            let path = md.with_extension("criteria.json");
            let explicit: Criteria =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read criteria"))
                    .expect("criteria JSON");
            criteria = criteria.merge(explicit);
        }
        criteria.validate().expect("valid criteria");
        eprintln!("{jd}: {}", serde_json::to_string(&criteria).unwrap());
        let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        let mut details: BTreeMap<String, LocalScore> = BTreeMap::new();
        for (id, name, parsed, text) in &docs {
            let s = score(parsed, text, &criteria, as_of);
            let e = sums.entry(id.clone()).or_default();
            e.0 += s.total;
            e.1 += 1;
            if evidence_dir.is_some() {
                details.insert(name.clone(), s);
            }
        }
        if let Some(dir) = &evidence_dir {
            std::fs::create_dir_all(dir).expect("create evidence dir");
            let body = serde_json::to_string_pretty(&details).unwrap();
            std::fs::write(format!("{dir}/{jd}.json"), body).expect("write evidence");
        }
        all.insert(
            jd,
            sums.into_iter()
                .map(|(id, (sum, n))| (id, sum / n as f64))
                .collect(),
        );
    }
    std::fs::write(&out, serde_json::to_string_pretty(&all).unwrap()).expect("write scores");
}
