"""The asyncio API with an async host model, raising and malformed host models, a
background worker with stop/join, parse_file without a database, and the typing checks
(stubs against the native module, the public package under mypy, the generated async
module)."""

from __future__ import annotations

import asyncio
import os
import pathlib
import subprocess
import sys
from typing import Any, Dict

import pytest

import resumeflow
from conftest import EXAMPLES, FAST_POLICY, REPO, AsyncScriptedModel, ScriptedModel

PKG = REPO / "bindings-python"


def test_async_api_with_async_model(database_url: str, tmp_path: pathlib.Path) -> None:
    model = AsyncScriptedModel(malformed_once=True)

    async def scenario() -> None:
        engine = await resumeflow.AsyncEngine.connect(
            database_url,
            store_url=f"file://{tmp_path / 'store'}",
            key=os.urandom(32),
            llm=model,
            llm_policy=FAST_POLICY,
        )
        await engine.migrate()
        tenant = await engine.tenants.create("Async Co", "async-co")
        owner = await engine.tenants.add_owner(tenant.tenant_id, "owner@async.test")
        session = await engine.session(tenant.tenant_id, owner.user_id)
        jd = await session.job_descriptions.create(
            "Backend", text=(EXAMPLES / "jobs" / "backend-engineer.md").read_text()
        )
        batch = await session.batches.create(jd.jd_id)
        # Concurrent adds on one event loop.
        names = sorted(p.name for p in (EXAMPLES / "resumes").iterdir() if p.suffix == ".txt")
        added = await asyncio.gather(
            *(session.batches.add_bytes(batch.batch_id, n, (EXAMPLES / "resumes" / n).read_bytes()) for n in names)
        )
        assert [a.disposition for a in added] == ["stored"] * len(names)
        await session.batches.submit(batch.batch_id)
        seen = []
        stats = await session.run_until_idle(
            batch_id=batch.batch_id, progress=lambda d, t: seen.append((d, t)), poll=0.02
        )
        assert stats.completed == len(names)
        assert seen[-1] == (len(names), len(names))
        results = await session.scoring.results(batch.batch_id)
        assert [r.rank for r in results] == list(range(1, len(names) + 1))
        assert all(r.ai_score is not None for r in results)
        with pytest.raises(resumeflow.NotFoundError):
            await session.batches.get("00000000-0000-7000-8000-000000000000")

    asyncio.run(scenario())
    assert model.calls["score_resume"] >= 4 + 1


def _engine(tmp_path: pathlib.Path, llm: Any) -> resumeflow.Engine:
    engine = resumeflow.Engine.connect(
        f"sqlite://{tmp_path / 'rf.db'}?mode=rwc",
        store_url="memory://",
        key=b"k" * 32,
        llm=llm,
        llm_policy=FAST_POLICY,
    )
    engine.migrate()
    return engine


def _screen_examples(engine: resumeflow.Engine) -> resumeflow.Records[resumeflow.RankedResult]:
    t = engine.tenants.create("T", "t")
    o = engine.tenants.add_owner(t.tenant_id, "o@t.test")
    s = engine.session(t.tenant_id, o.user_id)
    jd = s.job_descriptions.create("Backend", text=(EXAMPLES / "jobs" / "backend-engineer.md").read_text())
    b = s.batches.create(jd.jd_id)
    s.batches.add_dir(b.batch_id, EXAMPLES / "resumes")
    s.batches.submit(b.batch_id)
    worker = engine.start_worker(concurrency=2, poll_interval=0.02)
    s.wait(b.batch_id, timeout=60, poll=0.05)
    worker.stop()
    stats = worker.join(timeout=60)
    assert stats.completed == 7 and worker.is_finished()
    return s.scoring.results(b.batch_id)


def test_raising_model_is_retried_then_local_score_stands(tmp_path: pathlib.Path) -> None:
    calls: Dict[str, int] = {}

    def broken(request: Dict[str, Any]) -> str:
        calls[request["purpose"]] = calls.get(request["purpose"], 0) + 1
        raise ConnectionError("model endpoint down")

    results = _screen_examples(_engine(tmp_path, broken))
    assert len(results) == 6
    assert all(r.ai_score is None for r in results)
    assert all(r.final_score == r.local_score for r in results)
    # Each failed call was retried once (FAST_POLICY), never crashing the run.
    assert calls["score_resume"] >= 2 * 6


def test_model_returning_the_wrong_shape_is_not_a_crash(tmp_path: pathlib.Path) -> None:
    results = _screen_examples(_engine(tmp_path, lambda request: 42))
    assert len(results) == 6 and all(r.ai_score is None for r in results)


def test_sync_model_scores_with_usage(tmp_path: pathlib.Path) -> None:
    model = ScriptedModel(malformed_once=False)
    results = _screen_examples(_engine(tmp_path, model))
    assert all(r.ai_score is not None and r.ai_rationale for r in results)


def test_parse_file_without_database() -> None:
    doc = resumeflow.parse_file(EXAMPLES / "resumes" / "amara-okafor.txt")
    assert doc.parser == "heuristic" and doc.resume["basics"]["name"] == "Amara Okafor"
    assert doc.experience_months > 0 and doc.text
    with pytest.raises(resumeflow.InvalidInputError):
        resumeflow.parse_file((EXAMPLES / "resumes" / "corrupted-upload.pdf").read_bytes())
    parsed = asyncio.run(resumeflow.parse_file_async(EXAMPLES / "resumes" / "tomas-silva.html"))
    assert parsed.kind == "html"


def test_connect_needs_a_key(tmp_path: pathlib.Path) -> None:
    with pytest.raises(resumeflow.ConfigError):
        resumeflow.Engine.connect(f"sqlite://{tmp_path / 'x.db'}?mode=rwc")
    with pytest.raises(resumeflow.ConfigError):
        resumeflow.Engine.connect(f"sqlite://{tmp_path / 'x.db'}?mode=rwc", key=b"short")


def _run(*cmd: str) -> None:
    out = subprocess.run(cmd, cwd=PKG, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_stubs_match_the_native_module() -> None:
    pytest.importorskip("mypy")
    _run(sys.executable, "-m", "mypy.stubtest", "resumeflow._native")


def test_public_package_typechecks() -> None:
    pytest.importorskip("mypy")
    _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", "python/resumeflow")


def test_async_module_is_generated_from_the_blocking_one() -> None:
    _run(sys.executable, "tools/unasync.py", "--check")


def _child_screens(db_dir: str) -> None:
    engine = resumeflow.Engine.connect(f"sqlite://{db_dir}/child.db?mode=rwc", store_url="memory://", key=b"c" * 32)
    engine.migrate()
    tenant = engine.tenants.create("Child", "child")
    assert engine.tenants.get(tenant.tenant_id).slug == "child"
    assert asyncio.run(resumeflow.parse_file_async(EXAMPLES / "resumes" / "amara-okafor.txt")).parser == "heuristic"


def test_a_forked_child_gets_its_own_runtime(tmp_path: pathlib.Path) -> None:
    import multiprocessing

    # The parent's runtime is up (threads running) and its engine open, idle, at the fork.
    parent = _engine(tmp_path, None)
    parent.tenants.create("Parent", "parent")
    child = multiprocessing.get_context("fork").Process(target=_child_screens, args=(str(tmp_path),))
    child.start()
    child.join(120)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung")
    assert child.exitcode == 0
    assert parent.tenants.find_by_slug("parent") is not None


def test_s3_store(tmp_path: pathlib.Path) -> None:
    """Uploads and artifacts in an S3-compatible store (moto, started by scripts/test.sh)."""
    endpoint = os.environ.get("RESUMEFLOW_TEST_S3_ENDPOINT")
    if not endpoint:
        if os.environ.get("RESUMEFLOW_REQUIRE_S3") == "1":
            pytest.fail("RESUMEFLOW_REQUIRE_S3=1 but RESUMEFLOW_TEST_S3_ENDPOINT is not set")
        pytest.skip("RESUMEFLOW_TEST_S3_ENDPOINT is not set")
    bucket = os.environ.get("RESUMEFLOW_TEST_S3_BUCKET", "resumeflow-test")
    engine = resumeflow.Engine.connect(
        f"sqlite://{tmp_path / 'rf.db'}?mode=rwc",
        store_url=f"s3://{bucket}/py-{os.getpid()}-{tmp_path.name}",
        store_endpoint=endpoint,
        store_region="us-east-1",
        store_access_key_id="testing",
        store_secret_access_key="testing",
        store_allow_http=True,
        key=os.urandom(32),
    )
    engine.migrate()
    results = _screen_examples(engine)
    assert [r.rank for r in results] == list(range(1, 7))


def test_blocking_calls_release_the_gil(tmp_path: pathlib.Path) -> None:
    """A Python thread keeps running while the engine works in a blocking call."""
    import threading

    engine = _engine(tmp_path, None)
    t = engine.tenants.create("G", "g")
    o = engine.tenants.add_owner(t.tenant_id, "o@g.test")
    s = engine.session(t.tenant_id, o.user_id)
    jd = s.job_descriptions.create("Backend", text=(EXAMPLES / "jobs" / "backend-engineer.md").read_text())
    b = s.batches.create(jd.jd_id)
    s.batches.add_dir(b.batch_id, EXAMPLES / "resumes")
    s.batches.submit(b.batch_id)
    ticks = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before = ticks[0]
        engine.run_until_idle(concurrency=1)
        during = ticks[0] - before
    finally:
        stop.set()
        counter.join()
    assert during > 1000, during


def test_background_worker_handle(tmp_path: pathlib.Path) -> None:
    engine = _engine(tmp_path, None)
    with engine.start_worker(poll_interval=0.02) as worker:
        with pytest.raises(TimeoutError):
            worker.join(timeout=0.1)  # runs until stopped
        assert not worker.is_finished()
    assert worker.is_finished() and worker.join(timeout=0).claimed == 0

    async def in_asyncio() -> None:
        aengine = await resumeflow.AsyncEngine.connect(
            f"sqlite://{tmp_path / 'rf.db'}?mode=rwc", store_url="memory://", key=b"k" * 32
        )
        async with aengine.start_worker(poll_interval=0.02) as aworker:
            with pytest.raises(TimeoutError):
                await aworker.join(timeout=0.1)
        assert (await aworker.join(timeout=0)).failed == 0
        idle = await aengine.run_until_idle()
        assert idle.claimed == 0

    asyncio.run(in_asyncio())


def test_explicit_criteria_and_profiles(tmp_path: pathlib.Path) -> None:
    engine = _engine(tmp_path, None)
    t = engine.tenants.create("C", "c")
    o = engine.tenants.add_owner(t.tenant_id, "o@c.test")
    s = engine.session(t.tenant_id, o.user_id)
    criteria: resumeflow.Criteria = {
        "must_have": ["Python", "PostgreSQL"],
        "min_years": 3,
        "keywords": [{"pattern": "on-call", "mandatory": True}],
    }
    jd = s.job_descriptions.create("Backend", parameters=criteria)
    assert jd.has_text is False and jd.version == 1
    read = s.job_descriptions.criteria(jd.jd_id)
    assert {x.lower() for x in read["must_have"]} == {"python", "postgresql"} and read["min_years"] == 3
    reqs = {(r.kind, r.value): r for r in s.job_descriptions.requirements(jd.jd_id)}
    assert reqs[("keyword", "on-call")].mandatory
    with pytest.raises(resumeflow.InvalidInputError):
        s.job_descriptions.create("Bad", parameters={"regexes": [{"pattern": "("}]})

    strict = s.profiles.create(
        {"name": "strict", "knockouts": [{"rule": "must_have_coverage", "min": 50}], "knockout_cap": 30},
        make_default=False,
    )
    assert not strict.is_default and strict.profile["knockout_cap"] == 30
    assert s.profiles.effective_default()["name"] == "default"
    s.profiles.set_default(strict.profile_id)
    assert s.profiles.effective_default()["name"] == "strict"
    assert [p.profile["name"] for p in s.profiles.list()] == ["strict"]
    batch = s.batches.create(jd.jd_id, weightage_profile_id=strict.profile_id)
    assert batch.weightage_profile_id == strict.profile_id


def test_close(tmp_path: pathlib.Path) -> None:
    with _engine(tmp_path, None) as engine:
        t = engine.tenants.create("Z", "z")
        o = engine.tenants.add_owner(t.tenant_id, "o@z.test")
        s = engine.session(t.tenant_id, o.user_id)
    with pytest.raises(resumeflow.DatabaseError):
        s.users.list()

    async def closing() -> None:
        async with await resumeflow.AsyncEngine.connect(
            f"sqlite://{tmp_path / 'a.db'}?mode=rwc", key=b"k" * 32
        ) as aengine:
            await aengine.migrate()
        with pytest.raises(resumeflow.DatabaseError):
            await aengine.tenants.list()

    asyncio.run(closing())
