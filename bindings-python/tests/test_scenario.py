"""The whole scenario through the blocking API, on SQLite and PostgreSQL: tenant, users and
permissions, a job description, a batch of evaluation resumes plus bad files, a worker
with progress, ranked results as records and a DataFrame, PII denied to a viewer, replay,
audit. The host model is a Python function that answers malformed JSON once."""

from __future__ import annotations

import io
import pathlib

import pandas as pd
import pytest
from tqdm import tqdm

import resumeflow
from conftest import EVAL, EXAMPLES, FAST_POLICY, ScriptedModel, eval_documents, relevance, truth

IDS = ["d007", "d038", "d008", "d028", "d031", "d039", "d025", "d029", "d001", "d002", "d003", "d004"]


def test_full_scenario(database_url: str, tmp_path: pathlib.Path) -> None:
    model = ScriptedModel(malformed_once=True)
    engine = resumeflow.Engine.connect(
        database_url,
        store_url=f"file://{tmp_path / 'store'}",
        key_file=tmp_path / "master.key",
        llm=model,
        llm_policy=FAST_POLICY,
    )
    engine.migrate()
    assert engine.backend() == ("sqlite" if database_url.startswith("sqlite") else "postgres")

    # Tenant and users.
    tenant = engine.tenants.create("Acme Hiring", "acme")
    assert engine.tenants.find_by_slug("acme") == tenant
    owner = engine.tenants.add_owner(tenant.tenant_id, "owner@acme.test", "Olive Owner")
    admin = engine.session(tenant.tenant_id, owner.user_id)
    rita = admin.users.create("rita@acme.test", "recruiter", "Rita")
    vic = admin.users.create("vic@acme.test", "viewer")
    assert {u.email for u in admin.users.list()} == {"owner@acme.test", "rita@acme.test", "vic@acme.test"}
    assert admin.users.find_by_email("RITA@acme.test") == rita
    admin.permissions.deny(rita.user_id, "report_write")
    assert "report_write" not in admin.permissions.effective(rita.user_id)
    assert admin.permissions.revoke(rita.user_id, "report_write") is True
    assert "report_write" in admin.permissions.effective(rita.user_id)
    recruiter = engine.session(tenant.tenant_id, rita.user_id)
    viewer = engine.session(tenant.tenant_id, vic.user_id)
    with pytest.raises(resumeflow.PermissionDeniedError) as denied:
        viewer.users.create("eve@acme.test", "owner")
    assert denied.value.code == "PERMISSION_DENIED"

    # Job description (the model refuses criteria extraction: the heuristic reads it) and
    # a default weightage profile.
    jd = recruiter.job_descriptions.create(
        "Backend Engineer", text=(EVAL / "jds" / "jd-backend-engineer.md").read_text()
    )
    criteria = recruiter.job_descriptions.criteria(jd.jd_id)
    assert criteria["must_have"], criteria
    edited = recruiter.job_descriptions.update(jd.jd_id, title="Backend Engineer (Python)", note="retitled")
    assert edited.version == 2
    restored = recruiter.job_descriptions.restore(jd.jd_id, 1)
    assert restored.title == "Backend Engineer" and restored.version == 3
    assert [v.version for v in recruiter.job_descriptions.versions(jd.jd_id)] == [1, 2, 3]
    assert model.calls["extract_criteria"] >= 2  # raised, retried, then the heuristic
    profile = admin.profiles.create({"name": "balanced", "scorers": {"local": 0.6, "ai": 0.4}}, make_default=True)
    assert profile.is_default and profile.profile["scorers"] == {"local": 0.6, "ai": 0.4}

    # A batch: twelve evaluation resumes, a damaged PDF and an empty upload.
    batch = recruiter.batches.create(jd.jd_id, name="eval dozen")
    docs = eval_documents(IDS)
    for doc in docs:
        assert recruiter.batches.add_path(batch.batch_id, doc).disposition == "stored"
    broken = recruiter.batches.add_path(batch.batch_id, EXAMPLES / "resumes" / "corrupted-upload.pdf")
    empty = recruiter.batches.add_bytes(batch.batch_id, "empty.txt", b"")
    assert empty.disposition == "rejected" and empty.error is not None
    again = recruiter.batches.add_path(batch.batch_id, docs[0])
    assert again.disposition == "already_in_batch"
    submitted = recruiter.batches.submit(batch.batch_id)
    assert submitted.status == "processing"
    with pytest.raises(resumeflow.ConflictError):
        recruiter.batches.add_bytes(batch.batch_id, "late.txt", b"Jane Doe\nPython developer")

    # Worker with a tqdm bar and a callback.
    seen = []
    with tqdm(desc="screening", file=io.StringIO()) as bar:
        stats = recruiter.run_until_idle(batch_id=batch.batch_id, progress=bar, poll=0.05)
        assert bar.total == 14 and bar.n == 14
    recruiter.wait(batch.batch_id, progress=lambda done, total: seen.append((done, total)), timeout=30)
    assert seen[-1] == (14, 14)
    assert stats.completed >= 13 and stats.failed == 0
    status = recruiter.batches.status(batch.batch_id)
    assert status.status == "completed" and status.total_files == 14 and status.pending_files == 0

    # Bad files fail alone.
    files = {f.original_name: f for f in recruiter.batches.files(batch.batch_id)}
    assert files["empty.txt"].status == "failed"
    assert files["corrupted-upload.pdf"].status == "failed", files["corrupted-upload.pdf"]
    assert files["corrupted-upload.pdf"].error
    assert broken.file.file_id == files["corrupted-upload.pdf"].file_id
    assert all(files[d.name].status == "completed" for d in docs)

    # Ranked results: typed, in order, scored by both scorers, better candidates first.
    results = recruiter.scoring.results(batch.batch_id)
    assert len(results) == len(IDS)
    assert [r.rank for r in results] == list(range(1, len(IDS) + 1))
    assert [r.final_score for r in results] == sorted((r.final_score for r in results), reverse=True)
    assert all(r.ai_score is not None for r in results), [r.flags for r in results]
    assert model.calls["score_resume"] >= len(IDS) + 1  # the malformed answer was asked again
    assert model.calls["parse_resume"] >= len(IDS)  # refused: the heuristic parser read them
    rel = relevance("jd-backend-engineer")
    ranked = [rel[r.file_names[0].split(".")[0]] for r in results]
    assert ranked[0] >= 2, ranked
    assert sum(ranked[:4]) > sum(ranked[-4:]), ranked
    top = results[0]
    assert top.candidate_name and top.reasons and top.matched

    # Plain records for pandas.
    frame = pd.DataFrame(results.to_records())
    assert len(frame) == len(IDS)
    assert list(frame["rank"]) == list(range(1, len(IDS) + 1))
    assert frame.loc[0, "reasons"] == top.reasons
    assert frame.loc[0, "resume_id"] == str(top.resume_id)
    assert results.to_pandas()["final_score"].tolist() == frame["final_score"].tolist()

    evidence = recruiter.scoring.evidence(batch.batch_id, top.resume_id)
    assert evidence.final_score == top.final_score and evidence.ai_status == "ok"
    assert evidence.local_components

    # PII: the owner finds a candidate by e-mail; a viewer may not, and sees no names.
    d007 = next(r for r in results if r.file_names[0].startswith("d007"))
    email = truth("d007")["basics"]["email"]
    assert admin.candidates.find_by_email(email) == [d007.resume_id]
    with pytest.raises(resumeflow.PermissionDeniedError) as pii:
        viewer.candidates.find_by_email(email)
    assert isinstance(pii.value, PermissionError) and pii.value.code == "PERMISSION_DENIED"
    assert all(r.candidate_name is None for r in viewer.scoring.results(batch.batch_id))
    assert viewer.candidates.get(d007.resume_id).contacts is None
    assert admin.candidates.get(d007.resume_id).contacts is not None

    # Jobs and replay: rescoring from the score step reuses cached answers.
    jobs = recruiter.jobs(batch.batch_id)
    assert len(jobs) == 13  # the empty upload never became a job
    job = next(j for j in jobs if j.file_id == d007.file_ids[0])
    assert job.steps == ["extract", "parse", "validate", "score"]
    replay = recruiter.replay(job.job_id, "score")
    assert replay.dropped_steps == ["score"]
    engine.run_until_idle()
    again_top = next(r for r in recruiter.scoring.results(batch.batch_id) if r.resume_id == d007.resume_id)
    assert again_top.final_score == d007.final_score

    # Employers, audit.
    assert admin.employers.list()
    actions = {e.action for e in admin.audit_log(500)}
    assert {"tenant.create", "user.create", "permission.deny"} <= actions
    chain = admin.verify_audit_chain()
    assert chain.ok and chain.verified and chain.verified > 0

    with pytest.raises(resumeflow.NotFoundError):
        recruiter.batches.get("00000000-0000-7000-8000-000000000000")
    with pytest.raises(resumeflow.InvalidInputError):
        recruiter.users.create("x@acme.test", "emperor")
