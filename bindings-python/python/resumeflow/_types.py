"""Typed results: frozen dataclasses built from the engine's JSON-shaped answers.

Field names are the Rust field names. Ids are :class:`uuid.UUID`, timestamps are aware
:class:`datetime.datetime` in UTC, enums are their snake_case strings. Nested structures
that are open-ended on purpose (job-description parameters, evidence, JSON Resume) stay
plain dicts. Every list the API returns is a :class:`Records`, which converts to plain
records for pandas.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Generic, List, Optional, Type, TypeVar, Union, get_type_hints

if sys.version_info >= (3, 10):  # pragma: no cover
    from types import UnionType
else:  # pragma: no cover
    UnionType = type(Union[int, str])

from typing import get_args, get_origin

T = TypeVar("T")

if sys.version_info >= (3, 11):
    from typing import TypedDict
else:  # pragma: no cover - older Pythons
    from typing_extensions import TypedDict


class Requirement(TypedDict, total=False):
    """A keyword (whole words, case-insensitive) or regex requirement; ``weight``
    defaults to 1, ``mandatory`` (a knock-out) to false."""

    pattern: str
    weight: float
    mandatory: bool


class SalaryRange(TypedDict, total=False):
    min: Optional[float]
    max: Optional[float]
    currency: Optional[str]
    period: Optional[str]


class Criteria(TypedDict, total=False):
    """What candidates are scored against: the explicit ``parameters`` of a job
    description take this shape (every member optional), and
    ``job_descriptions.criteria()`` returns it. Skills are canonical names;
    ``min_education`` is ``none``, ``associate``, ``bachelor``, ``master`` or ``doctorate``."""

    title: str
    must_have: List[str]
    nice_to_have: List[str]
    min_years: float
    min_education: str
    relevant_titles: List[str]
    exclude_titles: List[str]
    relevant_by_skills: bool
    location: str
    salary: SalaryRange
    keywords: List[Requirement]
    regexes: List[Requirement]


class ComponentWeights(TypedDict, total=False):
    """Weights of the local matcher's components."""

    must_have: float
    nice_to_have: float
    experience: float
    education: float
    keywords: float
    patterns: float


class ScorerWeights(TypedDict):
    """How the local and AI scores combine."""

    local: float
    ai: float


class Knockout(TypedDict, total=False):
    """``{"rule": "mandatory_requirements" | "min_years" | "min_education"}`` or
    ``{"rule": "must_have_coverage", "min": 60.0}``."""

    rule: str
    min: float


class WeightageProfile(TypedDict, total=False):
    """A weightage profile as the API takes and returns it; members left out take the
    defaults (even scorers, a missed mandatory requirement caps the score at 40, a gap of
    more than 25 points between the scorers needs review)."""

    name: str
    components: ComponentWeights
    scorers: ScorerWeights
    knockouts: List[Knockout]
    knockout_cap: float
    disagreement_threshold: float

_FRACTION = re.compile(r"(\.\d{6})\d+")


def _datetime(value: str) -> datetime:
    # chrono writes RFC 3339 with up to nanoseconds and a "Z"; fromisoformat (3.9) takes
    # microseconds and "+00:00".
    text = _FRACTION.sub(r"\1", value.replace("Z", "+00:00"))
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin is Union or (UnionType is not None and isinstance(hint, UnionType)):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin in (list, List):
        (item,) = get_args(hint) or (Any,)
        return [_convert(item, v) for v in value]
    if hint is uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    if hint is datetime:
        return value if isinstance(value, datetime) else _datetime(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value)
    return value


def build(cls: Type[T], data: Dict[str, Any]) -> T:
    """``cls`` from a JSON object; members the class does not declare are ignored."""
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Records(List[T], Generic[T]):
    """A list of typed results that also converts to plain records."""

    def to_records(self) -> List[Dict[str, Any]]:
        """One dict per item (ids as strings, timestamps as datetimes): what
        ``pandas.DataFrame(...)``, ``csv.DictWriter`` or ``json.dumps(default=str)`` take."""
        return [_plain(x) for x in self]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of :meth:`to_records` (pandas is imported on demand)."""
        pandas = importlib.import_module("pandas")
        return pandas.DataFrame(self.to_records())


def many(cls: Type[T], rows: List[Dict[str, Any]]) -> Records[T]:
    return Records(build(cls, r) for r in rows)


def record(x: Any) -> Dict[str, Any]:
    """One typed result as a plain dict."""
    out = _plain(x)
    assert isinstance(out, dict)
    return out


@dataclasses.dataclass(frozen=True)
class Tenant:
    tenant_id: uuid.UUID
    name: str
    slug: str
    settings: Any
    active: bool
    retention_days: int
    audit_retention_days: int
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class User:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: Optional[str]
    role: str
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class PermissionOverride:
    user_id: uuid.UUID
    permission: str
    effect: str


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who a session acts as: tenant, user, role and effective permissions."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    permissions: List[str]


@dataclasses.dataclass(frozen=True)
class JobDescription:
    jd_id: uuid.UUID
    tenant_id: uuid.UUID
    title: str
    parameters: Dict[str, Any]
    has_text: bool
    version: int
    created_by: Optional[uuid.UUID]
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class JdVersion:
    jd_id: uuid.UUID
    version: int
    title: str
    parameters: Dict[str, Any]
    has_text: bool
    changed_by: Optional[uuid.UUID]
    change_note: Optional[str]
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class JdRequirement:
    kind: str
    value: str
    weight: float
    mandatory: bool


@dataclasses.dataclass(frozen=True)
class Profile:
    """A stored weightage profile."""

    profile_id: uuid.UUID
    is_default: bool
    profile: WeightageProfile
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class Batch:
    batch_id: uuid.UUID
    tenant_id: uuid.UUID
    jd_id: uuid.UUID
    jd_version: int
    name: Optional[str]
    weightage_profile_id: Optional[uuid.UUID]
    weightage_profile: Optional[Dict[str, Any]]
    status: str
    total_files: int
    processed_files: int
    failed_files: int
    created_by: Optional[uuid.UUID]
    submitted_at: Optional[datetime]
    completed_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class BatchProgress:
    batch_id: uuid.UUID
    status: str
    total_files: int
    processed_files: int
    failed_files: int
    pending_files: int

    @property
    def done(self) -> int:
        """Files finished either way (processed or failed)."""
        return self.processed_files + self.failed_files

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


@dataclasses.dataclass(frozen=True)
class BatchFile:
    file_id: uuid.UUID
    batch_id: uuid.UUID
    storage_object_id: Optional[uuid.UUID]
    original_name: str
    sha256: Optional[str]
    size: int
    content_type: Optional[str]
    status: str
    error_code: Optional[str]
    error: Optional[str]
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class AddedFile:
    """One add: the file row, and ``disposition`` (``stored``, ``deduplicated``,
    ``already_in_batch`` or ``rejected``, with ``error`` then)."""

    file: BatchFile
    disposition: str
    error: Optional[Dict[str, Any]] = None


def added_file(data: Dict[str, Any]) -> AddedFile:
    d = dict(data["disposition"])
    return AddedFile(
        file=build(BatchFile, data["file"]),
        disposition=d.pop("disposition"),
        error=d.get("error"),
    )


@dataclasses.dataclass(frozen=True)
class DirEntryAdded:
    path: str
    added: AddedFile


def dir_entries(rows: List[Dict[str, Any]]) -> Records[DirEntryAdded]:
    return Records(DirEntryAdded(path=r["path"], added=added_file(r["added"])) for r in rows)


@dataclasses.dataclass(frozen=True)
class RankedResult:
    result_id: uuid.UUID
    batch_id: uuid.UUID
    jd_id: uuid.UUID
    jd_version: int
    resume_id: uuid.UUID
    rank: Optional[int]
    final_score: float
    local_score: float
    ai_score: Optional[float]
    needs_review: bool
    knocked_out: bool
    flags: List[str]
    matched: List[str]
    missing: List[str]
    reasons: List[str]
    ai_rationale: Optional[str]
    file_names: List[str]
    file_ids: List[uuid.UUID]
    candidate_name: Optional[str]


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Everything behind one result: the local components with their evidence, the AI
    verdicts, and the resolution and policy used."""

    final_score: float
    local_components: List[Dict[str, Any]]
    ai: Optional[Dict[str, Any]]
    ai_status: Optional[str]
    resolution: Dict[str, Any]
    policy: Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ScoreOutcome:
    resume_id: uuid.UUID
    result_id: uuid.UUID
    final_score: float
    local_score: float
    ai_score: Optional[float]
    needs_review: bool
    knocked_out: bool
    llm_calls: int


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A parsed resume as the session may see it (``contacts`` only with
    ``candidate_pii_read``)."""

    resume_id: uuid.UUID
    storage_object_id: uuid.UUID
    status: str
    parser: Optional[str]
    experience_months: Optional[int]
    flags: List[str]
    experiences: List[Dict[str, Any]]
    education: List[Dict[str, Any]]
    skills: List[str]
    technologies: List[str]
    contacts: Optional[Dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class EmployerAlias:
    alias: str
    kind: str
    created_by: Optional[uuid.UUID]
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class Employer:
    employer_id: uuid.UUID
    name: str
    aliases: List[EmployerAlias]
    spellings: List[str]
    departments: List[str]
    candidate_count: int


@dataclasses.dataclass(frozen=True)
class LinkedExperience:
    experience_id: uuid.UUID
    position: int
    company: str
    employer_id: Optional[uuid.UUID]
    employer: Optional[str]
    department_id: Optional[uuid.UUID]
    department: Optional[str]
    title: str
    employer_role_id: Optional[uuid.UUID]
    canonical_title: Optional[str]
    seniority: Optional[str]
    start: Optional[str]
    end: Optional[str]
    is_current: bool


@dataclasses.dataclass(frozen=True)
class CandidateHit:
    resume_id: uuid.UUID
    experiences: List[LinkedExperience]


@dataclasses.dataclass(frozen=True)
class RelinkReport:
    experiences: int
    changed: int


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    audit_id: uuid.UUID
    actor_user_id: Optional[uuid.UUID]
    action: str
    entity: str
    entity_id: Optional[uuid.UUID]
    details: Any
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class AuditChain:
    """The audit chain check: ``ok`` with the number of rows ``verified``, or the first
    ``broken_at`` row."""

    ok: bool
    verified: Optional[int]
    broken_at: Optional[uuid.UUID]


@dataclasses.dataclass(frozen=True)
class JobSteps:
    job_id: uuid.UUID
    file_id: Optional[uuid.UUID]
    status: str
    attempts: int
    last_error: Optional[str]
    steps: List[str]


@dataclasses.dataclass(frozen=True)
class JobReplay:
    job_id: uuid.UUID
    tenant_id: uuid.UUID
    dropped_steps: List[str]


@dataclasses.dataclass(frozen=True)
class WorkerStats:
    claimed: int
    completed: int
    retried: int
    failed: int
    lost: int
    released: int
    rescued: int


@dataclasses.dataclass(frozen=True)
class PartitionUpkeep:
    created: List[str]
    dropped: List[str]


@dataclasses.dataclass(frozen=True)
class ParsedDocument:
    """One document read without a database: ``resume`` is a JSON Resume dict."""

    kind: str
    parser: str
    resume: Dict[str, Any]
    experience_months: int
    flags: List[str]
    warnings: List[str]
    text: str
