"""Progress reports for long runs: a callback ``progress(done, total)`` or any tqdm-like
object (``update(n)``, and ``total`` which is set when known)."""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

from resumeflow._types import BatchProgress


@runtime_checkable
class ProgressBar(Protocol):
    """What a tqdm-compatible object offers (``total`` is set if the object has it)."""

    def update(self, n: int = 1) -> Any: ...


ProgressLike = Union[Callable[[int, int], Any], ProgressBar]


class Progress:
    """Turns batch statuses into calls on the host's progress object."""

    def __init__(self, target: Optional[ProgressLike]) -> None:
        self.target = target
        self.reported = 0
        self.last: Optional[tuple[int, int]] = None

    @property
    def active(self) -> bool:
        return self.target is not None

    def report(self, status: BatchProgress) -> None:
        target = self.target
        if target is None:
            return
        done, total = status.done, status.total_files
        if (done, total) == self.last:
            return
        self.last = (done, total)
        if isinstance(target, ProgressBar):
            if hasattr(target, "total") and getattr(target, "total", None) != total:
                setattr(target, "total", total)
                refresh = getattr(target, "refresh", None)
                if callable(refresh):
                    refresh()
            if done > self.reported:
                target.update(done - self.reported)
                self.reported = done
        else:
            target(done, total)
