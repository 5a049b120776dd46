"""resumeflow: multi-tenant resume screening (Python bindings).

Blocking API: :class:`Engine` and :class:`Session` (every call releases the GIL).
asyncio API: :class:`AsyncEngine` and :class:`AsyncSession` (the same methods, as
coroutines). Results are frozen dataclasses; lists of them are :class:`Records`, with
``to_records()`` and ``to_pandas()``. Errors derive from :class:`ResumeflowError`.
Tutorial: docs/python.md.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from resumeflow import _native
from resumeflow._aio import (
    AsyncBatches,
    AsyncCandidates,
    AsyncEmployers,
    AsyncEngine,
    AsyncJobDescriptions,
    AsyncPermissions,
    AsyncProfiles,
    AsyncScoring,
    AsyncSession,
    AsyncTenantApi,
    AsyncTenants,
    AsyncUsers,
    AsyncWorker,
)
from resumeflow._api import (
    Batches,
    Candidates,
    Employers,
    Engine,
    JobDescriptions,
    Permissions,
    Profiles,
    Scoring,
    Session,
    TenantApi,
    Tenants,
    Users,
    Worker,
)
from resumeflow._llm import HostLlm, LlmAnswer, LlmCallable, LlmMessage, LlmRequest, LlmUsage, adapt
from resumeflow._progress import ProgressBar, ProgressLike
from resumeflow._types import (
    Actor,
    AddedFile,
    AuditChain,
    AuditEntry,
    Batch,
    BatchFile,
    BatchProgress,
    Candidate,
    CandidateHit,
    DirEntryAdded,
    Employer,
    EmployerAlias,
    Evidence,
    JdRequirement,
    JdVersion,
    JobDescription,
    JobReplay,
    JobSteps,
    LinkedExperience,
    ParsedDocument,
    PartitionUpkeep,
    PermissionOverride,
    Profile,
    RankedResult,
    Records,
    RelinkReport,
    ScoreOutcome,
    Tenant,
    User,
    ComponentWeights,
    Criteria,
    Requirement,
    SalaryRange,
    Knockout,
    ScorerWeights,
    WeightageProfile,
    WorkerStats,
    record,
)
from resumeflow._types import build as _build
from resumeflow.exceptions import (
    ConfigError,
    ConflictError,
    CryptoError,
    DatabaseError,
    InvalidInputError,
    LeaseLostError,
    LlmError,
    NotFoundError,
    PermissionDeniedError,
    ResumeflowError,
    StorageError,
)

__version__: str = _native.__version__

Source = Union[bytes, str, "os.PathLike[str]"]


def migrate(database_url: str) -> None:
    """Applies every pending resumeflow migration to ``database_url`` (postgres:// or sqlite://)."""
    _native.migrate(database_url)


def _read(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    with open(os.fspath(source), "rb") as f:
        return f.read()


def parse_file(source: Source, *, llm: Optional[LlmCallable] = None, llm_model: Optional[str] = None) -> ParsedDocument:
    """Reads one resume (PDF, DOCX, DOC, RTF, HTML, text; a path or bytes) into a JSON
    Resume, with the host's model when ``llm`` is given, else heuristically. No database."""
    out = _native.parse_file(_read(source), adapt(llm, llm_model), llm_model)
    return _build(ParsedDocument, out)


async def parse_file_async(
    source: Source, *, llm: Optional[LlmCallable] = None, llm_model: Optional[str] = None
) -> ParsedDocument:
    """:func:`parse_file` as a coroutine."""
    out = await _native.parse_file_async(_read(source), adapt(llm, llm_model), llm_model)
    return _build(ParsedDocument, out)


__all__ = [
    "__version__",
    "migrate",
    "parse_file",
    "parse_file_async",
    # blocking API
    "Engine",
    "Session",
    "Worker",
    "Tenants",
    "TenantApi",
    "Users",
    "Permissions",
    "JobDescriptions",
    "Profiles",
    "Batches",
    "Scoring",
    "Candidates",
    "Employers",
    # asyncio API
    "AsyncEngine",
    "AsyncSession",
    "AsyncWorker",
    "AsyncTenants",
    "AsyncTenantApi",
    "AsyncUsers",
    "AsyncPermissions",
    "AsyncJobDescriptions",
    "AsyncProfiles",
    "AsyncBatches",
    "AsyncScoring",
    "AsyncCandidates",
    "AsyncEmployers",
    # the host's model
    "HostLlm",
    "LlmCallable",
    "LlmRequest",
    "LlmMessage",
    "LlmAnswer",
    "LlmUsage",
    # progress
    "ProgressBar",
    "ProgressLike",
    # results
    "Records",
    "record",
    "Actor",
    "AddedFile",
    "AuditChain",
    "AuditEntry",
    "Batch",
    "BatchFile",
    "BatchProgress",
    "Candidate",
    "CandidateHit",
    "DirEntryAdded",
    "Employer",
    "EmployerAlias",
    "Evidence",
    "JdRequirement",
    "JdVersion",
    "JobDescription",
    "JobReplay",
    "JobSteps",
    "LinkedExperience",
    "ParsedDocument",
    "PartitionUpkeep",
    "PermissionOverride",
    "Profile",
    "RankedResult",
    "RelinkReport",
    "ScoreOutcome",
    "Tenant",
    "User",
    "WorkerStats",
    "WeightageProfile",
    "ComponentWeights",
    "Criteria",
    "Requirement",
    "SalaryRange",
    "ScorerWeights",
    "Knockout",
    # errors
    "ResumeflowError",
    "NotFoundError",
    "PermissionDeniedError",
    "InvalidInputError",
    "ConflictError",
    "StorageError",
    "DatabaseError",
    "LeaseLostError",
    "LlmError",
    "CryptoError",
    "ConfigError",
]
