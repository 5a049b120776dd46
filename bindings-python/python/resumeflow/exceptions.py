"""The exceptions resumeflow raises, rooted at :class:`ResumeflowError`.

Every error of the engine carries a stable ``code`` (the Rust ``Error::code()``), and its
class is chosen by that code. Where a builtin fits, the class also subclasses it, so
``except LookupError`` or ``except PermissionError`` work as a Python user expects.
"""

from __future__ import annotations

from typing import Optional


class ResumeflowError(Exception):
    """Root of every resumeflow error. ``code`` is stable and machine-readable."""

    code: str = "UNKNOWN"

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFoundError(ResumeflowError, LookupError):
    """The row does not exist, or belongs to another tenant (indistinguishable on purpose)."""

    code = "NOT_FOUND"


class PermissionDeniedError(ResumeflowError, PermissionError):
    """The session's user lacks the permission the call needs."""

    code = "PERMISSION_DENIED"


class InvalidInputError(ResumeflowError, ValueError):
    """An argument was refused (bad id, unknown role or permission, malformed profile...)."""

    code = "INVALID_INPUT"


class ConflictError(ResumeflowError):
    """The call conflicts with the current state (duplicate slug, batch already submitted...)."""

    code = "CONFLICT"


class StorageError(ResumeflowError):
    """The object store failed."""

    code = "STORAGE"


class DatabaseError(ResumeflowError):
    """The database failed."""

    code = "DATABASE"


class LeaseLostError(ResumeflowError):
    """A worker lost its lease on a job (another worker owns it now)."""

    code = "LEASE_LOST"


class LlmError(ResumeflowError):
    """The host's model failed in a way the engine could not absorb."""

    code = "LLM"


class CryptoError(ResumeflowError):
    """Encryption or decryption failed (wrong key, damaged ciphertext)."""

    code = "CRYPTO"


class ConfigError(ResumeflowError):
    """The engine is misconfigured (bad URL, missing key, deactivated tenant or user)."""

    code = "CONFIG"


__all__ = [
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
