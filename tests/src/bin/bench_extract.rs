//! Text extraction benchmark: every evaluation document (PDF, DOCX, text) extracted
//! `--rounds R` times, one at a time; prints one JSON line with the mean milliseconds per
//! document of each format.
//!
//! ```sh
//! cargo run --release -p resumeflow-tests --bin bench_extract -- --rounds 5
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use resumeflow::extract::{DocKind, ExtractLimits, extract};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = match args.as_slice() {
        [flag, r] if flag == "--rounds" => r.parse().expect("--rounds R"),
        [] => 5,
        _ => panic!("usage: bench_extract [--rounds R]"),
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval/resumes");
    let mut docs: Vec<(DocKind, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("../shared/eval/resumes")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let kind = DocKind::from_extension(p.extension()?.to_str()?)?;
            Some((kind, std::fs::read(&p).ok()?))
        })
        .collect();
    docs.sort_by_key(|d| format!("{:?}", d.0));
    let limits = ExtractLimits::default();
    let mut per_kind: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for (kind, bytes) in &docs {
            let t = Instant::now();
            extract(bytes, *kind, &limits).expect("the evaluation documents extract");
            let e = per_kind
                .entry(format!("{kind:?}").to_lowercase())
                .or_default();
            e.0 += 1;
            e.1 += t.elapsed().as_secs_f64();
        }
    }
    let total = started.elapsed().as_secs_f64();
    let ms: BTreeMap<String, f64> = per_kind
        .iter()
        .map(|(k, (n, s))| (k.clone(), (s / *n as f64 * 1e5).round() / 100.0))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "bench": "extract",
            "documents": docs.len(),
            "rounds": rounds,
            "ms_per_document": ms,
            "ms_per_document_all": (total / (rounds * docs.len()) as f64 * 1e5).round() / 100.0,
        })
    );
}
