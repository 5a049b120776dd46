"""resumeflow: multi-tenant resume screening (Python bindings)."""

from resumeflow._native import __version__, migrate

__all__ = ["__version__", "migrate"]
