"""docs/python.md is a tutorial; this runs its Python blocks in order, in one namespace,
in a temporary directory holding the examples (``resumes/``, ``backend-engineer.md``).
``provider`` stands for the reader's model client: here a scripted model that answers the
way the engine's prompts ask."""

from __future__ import annotations

import os
import pathlib
import re
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest

import resumeflow

from conftest import EXAMPLES, REPO, ScriptedModel

DOC = REPO / "docs" / "python.md"


class Provider:
    """A chat client as a tutorial reader would have one."""

    def __init__(self) -> None:
        self.model = ScriptedModel(malformed_once=True)

    def chat(self, messages: List[Dict[str, str]], schema: Optional[Dict[str, Any]], temperature: float) -> Any:
        out = self.model.answer(
            {"purpose": _purpose(schema), "messages": messages, "json_schema": schema, "temperature": temperature, "max_tokens": None}
        )
        text = out if isinstance(out, str) else out["text"]
        return SimpleNamespace(text=text, prompt_tokens=10, completion_tokens=5)


def _purpose(schema: Optional[Dict[str, Any]]) -> str:
    props = (schema or {}).get("properties", {})
    return "score_resume" if "requirements" in props and "overall_score" in props else "other"


def blocks() -> List[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_tutorial_runs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = blocks()
    assert len(code) >= 8
    (tmp_path / "resumes").symlink_to(EXAMPLES / "resumes")
    (tmp_path / "backend-engineer.md").symlink_to(EXAMPLES / "jobs" / "backend-engineer.md")
    monkeypatch.chdir(tmp_path)
    namespace: Dict[str, Any] = {"provider": Provider(), "__name__": "tutorial"}
    for i, block in enumerate(code[:-1]):
        exec(compile(block, f"{DOC}:block{i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "denied: PERMISSION_DENIED" in out
    assert "CONFLICT" in out and "InvalidInputError INVALID_INPUT" in out
    assert "corrupted-upload.pdf" in out
    assert "completed WorkerStats(" in out
    # The ranking printed three lines, best first.
    results = namespace["results"]
    assert [r.rank for r in results][:3] == [1, 2, 3]
    assert namespace["table"]["final_score"].is_monotonic_decreasing
    assert os.path.exists(tmp_path / "master.key")
    # The host model scored every readable resume (one malformed answer asked again).
    provider = namespace["provider"]
    assert provider.model.calls["score_resume"] >= 6 + 1
    assert all(r.ai_score is not None for r in namespace["screening"].scoring.results(namespace["batch3"].batch_id))
    # The last block closes the engines.
    exec(compile(code[-1], f"{DOC}:block{len(code)}", "exec"), namespace)
    with pytest.raises(resumeflow.DatabaseError):
        namespace["session"].batches.list()
