#!/usr/bin/env python3
"""Ranking quality of the whole product, end to end: `resumeflow screen` (ingestion, the
pipeline, the database, resolution and ranking; no LLM) on the evaluation corpus, one
batch per job description, scored with ../shared/eval/score_rank.py (NDCG@10).

    python3 scripts/eval_rank.py [--with-criteria] [--resumeflow PATH]

Each resume's score is the mean final score over its rendered documents (as in
core/examples/rank_corpus.rs). Only documents are screened: truth, manifest and relevance
files are never read.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--with-criteria", action="store_true", help="lay <jd>.criteria.json over the text")
    ap.add_argument("--resumeflow", default=None, help="the CLI binary (default: cargo run --release)")
    args = ap.parse_args()
    cmd = [args.resumeflow] if args.resumeflow else [
        "cargo", "run", "--quiet", "--release", "-p", "resumeflow-cli", "--"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        docs = tmp / "docs"
        docs.mkdir()
        for p in sorted((EVAL / "resumes").iterdir()):
            if p.suffix in (".pdf", ".docx", ".txt"):
                (docs / p.name).symlink_to(p)
        env = dict(os.environ, RESUMEFLOW_DATABASE_URL=f"sqlite://{tmp}/rf.db?mode=rwc",
                   RESUMEFLOW_STORE=f"file://{tmp}/store", RESUMEFLOW_KEY_FILE=str(tmp / "master.key"))
        (tmp / "store").mkdir()
        scores: dict = {}
        for jd in sorted((EVAL / "jds").glob("*.md")):
            out = tmp / jd.stem
            run = cmd + ["screen", "--quiet", "--jd", str(jd), "--out", str(out), str(docs)]
            if args.with_criteria:
                run[-1:-1] = ["--criteria", str(jd.with_suffix(".criteria.json"))]
            subprocess.run(run, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            per_resume: dict = {}
            for row in json.loads((out / "results.json").read_text()):
                if row["final_score"] is None:
                    continue
                rid = pathlib.Path(row["path"]).name.split(".")[0]
                per_resume.setdefault(rid, []).append(row["final_score"])
            scores[jd.stem] = {r: statistics.mean(v) for r, v in per_resume.items()}
        (tmp / "scores.json").write_text(json.dumps(scores))
        return subprocess.run([sys.executable, str(EVAL / "score_rank.py"), str(tmp / "scores.json"),
                               str(EVAL / "relevance.json")]).returncode


if __name__ == "__main__":
    sys.exit(main())
