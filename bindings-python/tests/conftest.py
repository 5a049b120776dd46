"""Shared fixtures: a database per test on SQLite and PostgreSQL, the evaluation corpus,
and a host model written in Python that answers like a careful LLM."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import pathlib
import re
import threading
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EVAL = REPO.parent / "shared" / "eval"
EXAMPLES = REPO / "examples"
PG_BASE = os.environ.get("RESUMEFLOW_TEST_PG", "postgres://postgres@127.0.0.1:5432")
REQUIRE_PG = os.environ.get("RESUMEFLOW_REQUIRE_PG") == "1"

# Engine retry policy for tests: a raising model is retried once, after a millisecond.
FAST_POLICY = {"retries": 1, "backoff": 1, "max_backoff": 5}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database created for this test and
    dropped after it (skipped without a server, unless RESUMEFLOW_REQUIRE_PG=1)."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'rf.db'}?mode=rwc"
        return
    try:
        import psycopg

        admin = psycopg.connect(f"{PG_BASE}/postgres", autocommit=True, connect_timeout=5)
    except Exception as e:  # noqa: BLE001 - any failure to reach the server
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required (RESUMEFLOW_REQUIRE_PG=1) but unreachable: {e}")
        pytest.skip(f"PostgreSQL not reachable: {e}")
    name = f"rf_py_{uuid.uuid4().hex}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def eval_documents(ids: List[str]) -> List[pathlib.Path]:
    """One document per evaluation id (the first format of each, by name); never the
    .truth.json files, which are not resumes."""
    out = []
    for i in ids:
        docs = sorted(p for p in (EVAL / "resumes").glob(f"{i}.*") if not p.name.endswith(".truth.json"))
        assert docs, f"no document for {i} in {EVAL}"
        out.append(docs[0])
    return out


def truth(doc_id: str) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((EVAL / "resumes" / f"{doc_id}.truth.json").read_text())
    return data


def relevance(jd: str) -> Dict[str, int]:
    data: Dict[str, Dict[str, int]] = json.loads((EVAL / "relevance.json").read_text())
    return data[jd]


_REQ = re.compile(r"^([A-Z]\d+): (.+)$", re.M)


def _block(content: str, label: str) -> str:
    start, end = content.find(f"<{label}>"), content.rfind(f"</{label}>")
    return content[start + len(label) + 2 : end] if start >= 0 and end > start else ""


def _quote(text: str, needle: str) -> Optional[str]:
    m = re.search(r"(?<![0-9A-Za-z])" + re.escape(needle) + r"(?![0-9A-Za-z])", text, re.I)
    return m.group(0) if m else None


class ScriptedModel:
    """A host model: scores resumes the way the engine's prompt asks (one verdict per
    requirement line ``ID: text``, with a quote from the resume), refuses the purposes in
    ``refuse`` by raising (the engine retries, then falls back to its heuristics), and
    answers the first ``score_resume`` call with malformed JSON when ``malformed_once``."""

    def __init__(self, malformed_once: bool = True, refuse: tuple = ("parse_resume", "extract_criteria")) -> None:
        self.calls: collections.Counter = collections.Counter()
        self.refuse = refuse
        self.malformed_left = 1 if malformed_once else 0
        self.lock = threading.Lock()

    def answer(self, request: Dict[str, Any]) -> Any:
        purpose = request["purpose"]
        assert set(request) >= {"purpose", "messages", "json_schema", "temperature", "max_tokens"}
        with self.lock:
            self.calls[purpose] += 1
            malformed = purpose == "score_resume" and self.malformed_left > 0
            if malformed:
                self.malformed_left -= 1
        if purpose in self.refuse:
            raise RuntimeError(f"this model does not do {purpose}")
        if malformed:
            return '{"requirements": [{"id": "S1", "verdict": '
        content = next(
            (m["content"] for m in reversed(request["messages"]) if m["role"] == "user" and "</" in m["content"]),
            "",
        )
        resume = _block(content, "resume")
        dated = next((line.strip() for line in resume.splitlines() if sum(c.isdigit() for c in line) >= 4), None)
        items, got = [], 0.0
        for rid, text in _REQ.findall(content):
            needle = None
            if text.startswith("Has the skill: "):
                needle = text[len("Has the skill: ") :]
            elif text.startswith('Mentions "'):
                needle = text[len('Mentions "') :].split('"')[0]
            if needle is not None:
                q = _quote(resume, needle)
                verdict = "met" if q else "missing"
            else:
                q = dated
                verdict = "partial" if q else "missing"
            got += {"met": 1.0, "partial": 0.5}.get(verdict, 0.0)
            items.append({"id": rid, "verdict": verdict, "quote": q})
        overall = round(100.0 * got / len(items), 1) if items else 50.0
        answer = {"requirements": items, "overall_score": overall, "rationale": f"{got} of {len(items)} requirements supported."}
        return {"text": json.dumps(answer), "usage": {"prompt_tokens": len(content) // 4, "completion_tokens": 60}}

    def __call__(self, request: Dict[str, Any]) -> Any:
        return self.answer(request)


class AsyncScriptedModel(ScriptedModel):
    """The same model as a coroutine function (awaited on the client's own event loop)."""

    async def __call__(self, request: Dict[str, Any]) -> Any:  # type: ignore[override]
        await asyncio.sleep(0)
        return self.answer(request)
