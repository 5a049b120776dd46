//! Parse every document of the evaluation corpus into `<id>.<layout>.json`.
//! Reads the documents only (never truth, manifest or relevance files).
use resumeflow::candidate::heuristic;
use resumeflow::extract::{ExtractLimits, extract, sniff};

fn main() {
    let mut args = std::env::args().skip(1);
    let src = args.next().expect("usage: corpus RESUME_DIR PRED_DIR");
    let out = args.next().expect("usage: corpus RESUME_DIR PRED_DIR");
    std::fs::create_dir_all(&out).expect("create output dir");
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pdf" | "docx" | "txt" | "doc" | "rtf" | "html")
            )
        })
        .collect();
    names.sort();
    for p in names {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&p).expect("read document");
        let result = sniff(&bytes)
            .ok_or(resumeflow::extract::ExtractError::Unsupported)
            .and_then(|k| extract(&bytes, k, &ExtractLimits::default()));
        match result {
            Ok(text) => {
                let parsed = heuristic::parse(&text);
                let json = serde_json::to_string_pretty(&parsed.to_json_resume()).unwrap();
                std::fs::write(format!("{out}/{stem}.json"), json).expect("write");
            }
            Err(e) => eprintln!("{stem}: {e}"),
        }
    }
}
