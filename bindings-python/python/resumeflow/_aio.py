"""The asyncio API: :class:`AsyncEngine`, :class:`AsyncSession` and their sub-APIs.

GENERATED from _api.py by tools/unasync.py: do not edit. Every method that does I/O is a
coroutine running on the engine's tokio runtime (pyo3-async-runtimes), so the event loop
never blocks; the methods and their arguments are those of the blocking API.
"""


from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any, Dict, List, Optional, Union

from resumeflow import _native
from resumeflow._llm import HostLlm, LlmCallable, adapt
from resumeflow._progress import Progress, ProgressLike
from resumeflow._types import (
    AddedFile,
    AuditChain,
    AuditEntry,
    Actor,
    Batch,
    BatchFile,
    BatchProgress,
    Candidate,
    CandidateHit,
    Criteria,
    DirEntryAdded,
    Employer,
    Evidence,
    JdRequirement,
    JdVersion,
    JobDescription,
    JobReplay,
    JobSteps,
    PartitionUpkeep,
    PermissionOverride,
    Profile,
    RankedResult,
    Records,
    RelinkReport,
    ScoreOutcome,
    Tenant,
    User,
    WeightageProfile,
    WorkerStats,
    added_file,
    build,
    dir_entries,
    many,
)

Id = Union[str, uuid.UUID]
PathLike = Union[str, "os.PathLike[str]"]


def _arg(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        return {k: _arg(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_arg(v) for v in value]
    return value


def _args(args: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = _arg(args)
    return out


# Longest uninterrupted wait in a blocking join (Python handles signals between slices).
_WAIT_SLICE = 0.25


async def _join_async(handle: _native.WorkerHandle, timeout: float) -> Optional[Dict[str, int]]:
    """The async join with a time limit: None when the worker still runs."""
    if handle.is_finished():
        return await handle.join_async()
    try:
        return await asyncio.wait_for(handle.join_async(), timeout)
    except asyncio.TimeoutError:
        return None


class AsyncEngine:
    """The engine: one per process and database, shared by threads (and tasks).

    Open it with :meth:`connect`. Tenant administration is under :attr:`tenants`; a
    user's work happens in a :class:`AsyncSession` from :meth:`session`.
    """

    def __init__(self, native: _native.Engine) -> None:
        self._n = native

    @classmethod
    async def connect(
        cls,
        database_url: str,
        *,
        store_url: Optional[str] = None,
        key_file: Optional[PathLike] = None,
        key: Optional[bytes] = None,
        llm: Optional[LlmCallable] = None,
        llm_model: Optional[str] = None,
        llm_policy: Optional[Dict[str, Any]] = None,
        store_endpoint: Optional[str] = None,
        store_region: Optional[str] = None,
        store_access_key_id: Optional[str] = None,
        store_secret_access_key: Optional[str] = None,
        store_allow_http: bool = False,
    ) -> AsyncEngine:
        """Connects to ``database_url`` (``postgres://…`` or ``sqlite://…?mode=rwc``).

        ``store_url`` is where uploads and artifacts go (``file:///abs/dir``, ``memory://``,
        ``s3://bucket/prefix`` with the ``store_*`` options). Personal data is always
        encrypted: give ``key_file`` (64 hex characters; created with a random key if
        missing) or ``key`` (32 raw bytes). ``llm`` is the host's model: any callable, sync
        or async, taking a request dict and returning text or ``{"text", "usage"}``;
        ``llm_model`` names it in caches, ``llm_policy`` sets ``concurrency``, ``retries``,
        ``backoff``, ``max_backoff``, ``timeout`` (milliseconds).
        """
        host = adapt(llm, llm_model)
        options = _args(
            {
                "database_url": database_url,
                "store_url": store_url,
                "key_file": key_file,
                "llm_model": host.model if host else None,
                "llm_policy": llm_policy,
                "store_endpoint": store_endpoint,
                "store_region": store_region,
                "store_access_key_id": store_access_key_id,
                "store_secret_access_key": store_secret_access_key,
                "store_allow_http": store_allow_http,
            }
        )
        native = await _native.Engine.connect_async(options, key, host)
        return cls(native)

    async def _call(self, op: str, **args: Any) -> Any:
        return await self._n.call_async(op, _args(args))

    async def migrate(self) -> None:
        """Applies every pending migration (idempotent; safe from several processes)."""
        await self._call("migrate")

    async def close(self) -> None:
        """Closes the database connections (stop background workers first). Every later
        call on this engine or its sessions raises :class:`DatabaseError`. An engine is
        also a context manager that closes on exit."""
        await self._call("close")

    async def __aenter__(self) -> AsyncEngine:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def backend(self) -> str:
        """``postgres`` or ``sqlite``."""
        out: str = await self._call("backend")
        return out

    @property
    def tenants(self) -> AsyncTenants:
        """Cross-tenant administration (the host's own operations)."""
        return AsyncTenants(self)

    async def session(self, tenant_id: Id, user_id: Id) -> AsyncSession:
        """A session acting as ``user_id`` of ``tenant_id``; every call is checked and scoped."""
        native = await self._n.session_async(str(tenant_id), str(user_id))
        return AsyncSession(native, self)

    async def replay(self, job_id: Id, step: str) -> JobReplay:
        """Operator replay: drops the checkpoints from ``step`` on and requeues the job."""
        return build(JobReplay, await self._call("replay", job_id=job_id, step=step))

    async def partition_upkeep(self, months_ahead: int = 3, keep_months: Optional[int] = None) -> PartitionUpkeep:
        """PostgreSQL monthly partitions ahead (and expired ones dropped); no-op on SQLite."""
        out = await self._call("partition_upkeep", months_ahead=months_ahead, keep_months=keep_months)
        return build(PartitionUpkeep, out)

    def start_worker(
        self,
        *,
        until_idle: bool = False,
        concurrency: Optional[int] = None,
        lease: Optional[float] = None,
        heartbeat: Optional[float] = None,
        poll_interval: Optional[float] = None,
        rescue_interval: Optional[float] = None,
        shutdown_grace: Optional[float] = None,
    ) -> AsyncWorker:
        """Starts a pipeline worker in the background and returns at once.

        It runs until :meth:`AsyncWorker.stop` (then finishes or releases its jobs), or, with
        ``until_idle``, until no job is queued or running. Durations are in seconds.
        ``concurrency`` defaults to four jobs per call the engine's model may take at once
        (``llm_policy["concurrency"]``), or two per core without a model.
        """
        options = _args(
            {
                "until_idle": until_idle,
                "concurrency": concurrency,
                "lease": lease,
                "heartbeat": heartbeat,
                "poll_interval": poll_interval,
                "rescue_interval": rescue_interval,
                "shutdown_grace": shutdown_grace,
            }
        )
        return AsyncWorker(self._n.start_worker(options))

    async def run_until_idle(self, *, concurrency: Optional[int] = None, poll_interval: Optional[float] = None) -> WorkerStats:
        """Runs a worker until no job is queued or running anywhere, then returns its stats.
        For progress reports, use :meth:`AsyncSession.run_until_idle`."""
        worker = self.start_worker(until_idle=True, concurrency=concurrency, poll_interval=poll_interval)
        try:
            return await worker.join()
        except BaseException:
            worker.stop()
            raise

    def __repr__(self) -> str:
        return f"resumeflow.{type(self).__name__}({self._n!r})"


class AsyncWorker:
    """A worker running in the background (see :meth:`AsyncEngine.start_worker`)."""

    def __init__(self, native: _native.WorkerHandle) -> None:
        self._h = native

    def stop(self) -> None:
        """Asks the worker to stop; it finishes or releases its jobs first. Idempotent."""
        self._h.stop()

    def is_finished(self) -> bool:
        return self._h.is_finished()

    async def join(self, timeout: Optional[float] = None) -> WorkerStats:
        """Waits for the worker to stop and returns its stats; raises its error, or
        ``TimeoutError`` if it still runs after ``timeout`` seconds. Waits in short
        slices, so Ctrl-C interrupts it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _WAIT_SLICE if deadline is None else max(0.0, min(_WAIT_SLICE, deadline - time.monotonic()))
            out = await _join_async(self._h, left)
            if out is not None:
                return build(WorkerStats, out)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("the worker is still running")

    async def __aenter__(self) -> AsyncWorker:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()
        await self.join()


class AsyncTenants:
    """Tenant administration: create tenants and their first owner, list, update, deactivate."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._e = engine

    async def create(self, name: str, slug: str, *, settings: Optional[Dict[str, Any]] = None, retention_days: Optional[int] = None) -> Tenant:
        out = await self._e._call("tenants_create", name=name, slug=slug, settings=settings, retention_days=retention_days)
        return build(Tenant, out)

    async def add_owner(self, tenant_id: Id, email: str, display_name: Optional[str] = None) -> User:
        """Adds an owner: how the first user of a new tenant is made."""
        out = await self._e._call("tenants_add_owner", tenant_id=tenant_id, email=email, display_name=display_name)
        return build(User, out)

    async def get(self, tenant_id: Id) -> Tenant:
        return build(Tenant, await self._e._call("tenants_get", tenant_id=tenant_id))

    async def list(self, include_inactive: bool = False) -> Records[Tenant]:
        return many(Tenant, await self._e._call("tenants_list", include_inactive=include_inactive))

    async def find_by_slug(self, slug: str) -> Optional[Tenant]:
        out = await self._e._call("tenants_find_by_slug", slug=slug)
        return None if out is None else build(Tenant, out)

    async def find_user(self, tenant_id: Id, email: str) -> Optional[User]:
        out = await self._e._call("tenants_find_user", tenant_id=tenant_id, email=email)
        return None if out is None else build(User, out)

    async def update(
        self,
        tenant_id: Id,
        *,
        name: Optional[str] = None,
        settings: Optional[Dict[str, Any]] = None,
        retention_days: Optional[int] = None,
        audit_retention_days: Optional[int] = None,
    ) -> Tenant:
        out = await self._e._call(
            "tenants_update",
            tenant_id=tenant_id,
            name=name,
            settings=settings,
            retention_days=retention_days,
            audit_retention_days=audit_retention_days,
        )
        return build(Tenant, out)

    async def deactivate(self, tenant_id: Id) -> None:
        await self._e._call("tenants_deactivate", tenant_id=tenant_id)

    async def reactivate(self, tenant_id: Id) -> None:
        await self._e._call("tenants_reactivate", tenant_id=tenant_id)


class AsyncSession:
    """Everything a user does inside their tenant. Sub-APIs mirror the Rust facade:
    ``users``, ``permissions``, ``job_descriptions``, ``profiles``, ``batches``,
    ``scoring``, ``candidates``, ``employers``, ``tenant``."""

    def __init__(self, native: _native.Session, engine: AsyncEngine) -> None:
        self._n = native
        self.engine = engine

    async def _call(self, op: str, **args: Any) -> Any:
        return await self._n.call_async(op, _args(args))

    async def actor(self) -> Actor:
        """The tenant, user, role and effective permissions of this session."""
        return build(Actor, await self._call("actor"))

    @property
    def tenant(self) -> AsyncTenantApi:
        return AsyncTenantApi(self)

    @property
    def users(self) -> AsyncUsers:
        return AsyncUsers(self)

    @property
    def permissions(self) -> AsyncPermissions:
        return AsyncPermissions(self)

    @property
    def job_descriptions(self) -> AsyncJobDescriptions:
        return AsyncJobDescriptions(self)

    @property
    def profiles(self) -> AsyncProfiles:
        """Weightage profiles."""
        return AsyncProfiles(self)

    @property
    def batches(self) -> AsyncBatches:
        return AsyncBatches(self)

    @property
    def scoring(self) -> AsyncScoring:
        return AsyncScoring(self)

    @property
    def candidates(self) -> AsyncCandidates:
        return AsyncCandidates(self)

    @property
    def employers(self) -> AsyncEmployers:
        return AsyncEmployers(self)

    async def replay(self, job_id: Id, step: str) -> JobReplay:
        """Drops the job's checkpoints from ``step`` (extract, parse, validate, score) on
        and requeues it; run a worker to redo the work."""
        return build(JobReplay, await self._call("replay", job_id=job_id, step=step))

    async def jobs(self, batch_id: Id) -> Records[JobSteps]:
        """The pipeline jobs of a batch with their checkpointed steps."""
        return many(JobSteps, await self._call("jobs", batch_id=batch_id))

    async def audit_log(self, limit: int = 100) -> Records[AuditEntry]:
        """The tenant's audit trail, newest first."""
        return many(AuditEntry, await self._call("audit_log", limit=limit))

    async def verify_audit_chain(self) -> AuditChain:
        return build(AuditChain, await self._call("verify_audit_chain"))

    async def run_until_idle(
        self,
        *,
        batch_id: Optional[Id] = None,
        progress: Optional[ProgressLike] = None,
        poll: float = 0.2,
        concurrency: Optional[int] = None,
        poll_interval: Optional[float] = None,
    ) -> WorkerStats:
        """Runs a worker until the queue is empty, reporting the progress of ``batch_id``
        every ``poll`` seconds to ``progress``: a callable ``progress(done, total)`` or a
        tqdm-like object (``update(n)``, ``total``)."""
        worker = self.engine.start_worker(until_idle=True, concurrency=concurrency, poll_interval=poll_interval)
        bar = Progress(progress)
        try:
            while not worker.is_finished():
                if batch_id is not None and bar.active:
                    bar.report(await self.batches.status(batch_id))
                await asyncio.sleep(poll)
            stats = await worker.join()
        except BaseException:
            worker.stop()
            raise
        if batch_id is not None and bar.active:
            bar.report(await self.batches.status(batch_id))
        return stats

    async def wait(
        self,
        batch_id: Id,
        *,
        progress: Optional[ProgressLike] = None,
        poll: float = 0.5,
        timeout: Optional[float] = None,
    ) -> BatchProgress:
        """Waits until ``batch_id`` is completed, failed or cancelled (workers run
        elsewhere), reporting to ``progress``; ``TimeoutError`` after ``timeout`` seconds."""
        bar = Progress(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = await self.batches.status(batch_id)
            bar.report(status)
            if status.finished:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"batch {batch_id} is still {status.status}")
            await asyncio.sleep(poll)

    def __repr__(self) -> str:
        return f"resumeflow.{type(self).__name__}({self._n!r})"


class AsyncTenantApi:
    """The session's own tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self) -> Tenant:
        return build(Tenant, await self._s._call("tenant_get"))

    async def update(
        self,
        *,
        name: Optional[str] = None,
        settings: Optional[Dict[str, Any]] = None,
        retention_days: Optional[int] = None,
        audit_retention_days: Optional[int] = None,
    ) -> Tenant:
        out = await self._s._call(
            "tenant_update",
            name=name,
            settings=settings,
            retention_days=retention_days,
            audit_retention_days=audit_retention_days,
        )
        return build(Tenant, out)


class AsyncUsers:
    """The users of the session's tenant. Roles: owner, admin, recruiter, viewer."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def list(self) -> Records[User]:
        return many(User, await self._s._call("users_list"))

    async def get(self, user_id: Id) -> User:
        return build(User, await self._s._call("users_get", user_id=user_id))

    async def find_by_email(self, email: str) -> Optional[User]:
        out = await self._s._call("users_find_by_email", email=email)
        return None if out is None else build(User, out)

    async def create(self, email: str, role: str, display_name: Optional[str] = None) -> User:
        """Adds a user; nobody can create a user with a higher role than their own."""
        return build(User, await self._s._call("users_create", email=email, role=role, display_name=display_name))

    async def update(self, user_id: Id, *, role: Optional[str] = None, display_name: Optional[str] = None) -> User:
        return build(User, await self._s._call("users_update", user_id=user_id, role=role, display_name=display_name))

    async def deactivate(self, user_id: Id) -> None:
        await self._s._call("users_deactivate", user_id=user_id)

    async def reactivate(self, user_id: Id) -> None:
        await self._s._call("users_reactivate", user_id=user_id)

    async def delete(self, user_id: Id) -> None:
        """Soft-deletes a user."""
        await self._s._call("users_delete", user_id=user_id)


class AsyncPermissions:
    """Per-user grants and denies on top of the role (names like ``candidate_pii_read``)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def list(self, user_id: Id) -> Records[PermissionOverride]:
        return many(PermissionOverride, await self._s._call("permissions_list", user_id=user_id))

    async def effective(self, user_id: Id) -> List[str]:
        """Role matrix plus grants minus denies."""
        out: List[str] = await self._s._call("permissions_effective", user_id=user_id)
        return out

    async def grant(self, user_id: Id, permission: str) -> None:
        await self._s._call("permissions_grant", user_id=user_id, permission=permission)

    async def deny(self, user_id: Id, permission: str) -> None:
        await self._s._call("permissions_deny", user_id=user_id, permission=permission)

    async def revoke(self, user_id: Id, permission: str) -> bool:
        """Removes the override; True if there was one."""
        out: bool = await self._s._call("permissions_revoke", user_id=user_id, permission=permission)
        return out


class AsyncJobDescriptions:
    """Job descriptions with versions; criteria read from the text (LLM or heuristic)
    and/or given as explicit ``parameters`` (:class:`resumeflow.Criteria`), which win."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(self, title: str, text: Optional[str] = None, parameters: Optional[Criteria] = None) -> JobDescription:
        out = await self._s._call("jd_create", title=title, text=text, parameters=parameters)
        return build(JobDescription, out)

    async def get(self, jd_id: Id) -> JobDescription:
        return build(JobDescription, await self._s._call("jd_get", jd_id=jd_id))

    async def list(self) -> Records[JobDescription]:
        return many(JobDescription, await self._s._call("jd_list"))

    async def text(self, jd_id: Id) -> Optional[str]:
        out: Optional[str] = await self._s._call("jd_text", jd_id=jd_id)
        return out

    async def update(
        self,
        jd_id: Id,
        *,
        title: Optional[str] = None,
        text: Optional[str] = None,
        parameters: Optional[Criteria] = None,
        note: Optional[str] = None,
    ) -> JobDescription:
        out = await self._s._call("jd_update", jd_id=jd_id, title=title, text=text, parameters=parameters, note=note)
        return build(JobDescription, out)

    async def restore(self, jd_id: Id, version: int) -> JobDescription:
        return build(JobDescription, await self._s._call("jd_restore", jd_id=jd_id, version=version))

    async def versions(self, jd_id: Id) -> Records[JdVersion]:
        return many(JdVersion, await self._s._call("jd_versions", jd_id=jd_id))

    async def criteria(self, jd_id: Id, version: Optional[int] = None) -> Criteria:
        """The criteria candidates are scored against (must-have and nice-to-have skills,
        years, education, keywords, patterns)."""
        out: Criteria = await self._s._call("jd_criteria", jd_id=jd_id, version=version)
        return out

    async def requirements(self, jd_id: Id) -> Records[JdRequirement]:
        return many(JdRequirement, await self._s._call("jd_requirements", jd_id=jd_id))


class AsyncProfiles:
    """Weightage profiles (:class:`resumeflow.WeightageProfile` dicts): component and
    scorer weights, knock-outs, review threshold; missing members take the defaults."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(self, profile: WeightageProfile, make_default: bool = False) -> Profile:
        return build(Profile, await self._s._call("profiles_create", profile=profile, make_default=make_default))

    async def update(self, profile_id: Id, profile: WeightageProfile) -> Profile:
        return build(Profile, await self._s._call("profiles_update", profile_id=profile_id, profile=profile))

    async def set_default(self, profile_id: Id) -> Profile:
        return build(Profile, await self._s._call("profiles_set_default", profile_id=profile_id))

    async def get(self, profile_id: Id) -> Profile:
        return build(Profile, await self._s._call("profiles_get", profile_id=profile_id))

    async def list(self) -> Records[Profile]:
        return many(Profile, await self._s._call("profiles_list"))

    async def effective_default(self) -> WeightageProfile:
        """The profile new batches score with when they name none."""
        out: WeightageProfile = await self._s._call("profiles_effective_default")
        return out

    async def delete(self, profile_id: Id) -> None:
        await self._s._call("profiles_delete", profile_id=profile_id)


class AsyncBatches:
    """AsyncBatches of resumes: create, add files (bytes, paths, directories), submit."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def create(self, jd_id: Id, name: Optional[str] = None, weightage_profile_id: Optional[Id] = None) -> Batch:
        out = await self._s._call("batches_create", jd_id=jd_id, name=name, weightage_profile_id=weightage_profile_id)
        return build(Batch, out)

    async def get(self, batch_id: Id) -> Batch:
        return build(Batch, await self._s._call("batches_get", batch_id=batch_id))

    async def list(self) -> Records[Batch]:
        return many(Batch, await self._s._call("batches_list"))

    async def files(self, batch_id: Id) -> Records[BatchFile]:
        return many(BatchFile, await self._s._call("batches_files", batch_id=batch_id))

    async def status(self, batch_id: Id) -> BatchProgress:
        return build(BatchProgress, await self._s._call("batches_status", batch_id=batch_id))

    async def add_bytes(self, batch_id: Id, name: str, data: bytes) -> AddedFile:
        """Adds one upload. Bad content (empty, too big, unsupported) is not an error: it
        comes back ``rejected`` and fails alone."""
        out = await self._s._n.add_bytes_async(str(batch_id), name, bytes(data))
        return added_file(out)

    async def add_path(self, batch_id: Id, path: PathLike) -> AddedFile:
        return added_file(await self._s._call("batches_add_path", batch_id=batch_id, path=path))

    async def add_dir(self, batch_id: Id, dir: PathLike) -> Records[DirEntryAdded]:
        """Adds every regular file under ``dir`` (recursively, hidden files skipped)."""
        return dir_entries(await self._s._call("batches_add_dir", batch_id=batch_id, dir=dir))

    async def submit(self, batch_id: Id) -> Batch:
        """Queues one pipeline job per file; a worker does the rest."""
        return build(Batch, await self._s._call("batches_submit", batch_id=batch_id))

    async def cancel(self, batch_id: Id) -> Batch:
        return build(Batch, await self._s._call("batches_cancel", batch_id=batch_id))


class AsyncScoring:
    """Ranked results and the evidence behind them."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def results(self, batch_id: Id) -> Records[RankedResult]:
        """The batch's results, best first (``to_records()`` / ``to_pandas()`` for tables)."""
        return many(RankedResult, await self._s._call("scoring_results", batch_id=batch_id))

    async def evidence(self, batch_id: Id, resume_id: Id) -> Evidence:
        return build(Evidence, await self._s._call("scoring_evidence", batch_id=batch_id, resume_id=resume_id))

    async def score_resume(self, batch_id: Id, resume_id: Id) -> ScoreOutcome:
        """Scores one resume of the batch again (cached LLM answers are reused)."""
        out = await self._s._call("scoring_score_resume", batch_id=batch_id, resume_id=resume_id)
        return build(ScoreOutcome, out)

    async def rank(self, batch_id: Id) -> int:
        """Ranks the batch's results again; returns how many were ranked."""
        out: int = await self._s._call("scoring_rank", batch_id=batch_id)
        return out


class AsyncCandidates:
    """Parsed candidates; contact details need ``candidate_pii_read`` (reads are audited)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, resume_id: Id) -> Candidate:
        return build(Candidate, await self._s._call("candidates_get", resume_id=resume_id))

    async def find_by_email(self, email: str) -> List[uuid.UUID]:
        """Resume ids with this contact e-mail (through its blind index)."""
        return [uuid.UUID(x) for x in await self._s._call("candidates_find_by_email", email=email)]

    async def parse_object(self, storage_object_id: Id) -> Candidate:
        """Parses a stored upload (once per content) with the engine's model, if any."""
        return build(Candidate, await self._s._call("candidates_parse_object", storage_object_id=storage_object_id))


class AsyncEmployers:
    """AsyncEmployers linked from work histories: queries and alias decisions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def list(self) -> Records[Employer]:
        return many(Employer, await self._s._call("employers_list"))

    async def get(self, employer_id: Id) -> Employer:
        return build(Employer, await self._s._call("employers_get", employer_id=employer_id))

    async def find(self, name: str) -> Optional[Employer]:
        out = await self._s._call("employers_find", name=name)
        return None if out is None else build(Employer, out)

    async def candidates_by_employer(self, name: str) -> Records[CandidateHit]:
        return many(CandidateHit, await self._s._call("employers_candidates_by_employer", name=name))

    async def candidates_by_employer_id(self, employer_id: Id) -> Records[CandidateHit]:
        return many(CandidateHit, await self._s._call("employers_candidates_by_employer_id", employer_id=employer_id))

    async def candidates_by_department(self, employer: str, department: str) -> Records[CandidateHit]:
        out = await self._s._call("employers_candidates_by_department", employer=employer, department=department)
        return many(CandidateHit, out)

    async def candidates_by_title(self, title: str, seniority: Optional[str] = None) -> Records[CandidateHit]:
        out = await self._s._call("employers_candidates_by_title", title=title, seniority=seniority)
        return many(CandidateHit, out)

    async def add_alias(self, alias: str, employer_id: Id) -> Employer:
        return build(Employer, await self._s._call("employers_add_alias", alias=alias, employer_id=employer_id))

    async def merge(self, from_id: Id, into_id: Id) -> Employer:
        return build(Employer, await self._s._call("employers_merge", from_id=from_id, into_id=into_id))

    async def split(self, alias: str, name: Optional[str] = None) -> Employer:
        return build(Employer, await self._s._call("employers_split", alias=alias, name=name))

    async def relink(self) -> RelinkReport:
        return build(RelinkReport, await self._s._call("employers_relink"))


__all__ = [
    "AsyncEngine",
    "AsyncWorker",
    "AsyncTenants",
    "AsyncSession",
    "AsyncTenantApi",
    "AsyncUsers",
    "AsyncPermissions",
    "AsyncJobDescriptions",
    "AsyncProfiles",
    "AsyncBatches",
    "AsyncScoring",
    "AsyncCandidates",
    "AsyncEmployers",
    "HostLlm",
    "BatchFile",
]
