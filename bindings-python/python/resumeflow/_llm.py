"""The host's model as the engine sees it: a plain function of a request dict.

:class:`HostLlm` wraps any callable, sync or async. A sync callable is called as it is, on
one of the engine's blocking threads (holding the GIL only for the call). An async callable
(a coroutine function, or anything returning an awaitable) is awaited on a background
event loop owned by this client: one daemon thread running ``asyncio`` for the client's
lifetime. A dedicated loop keeps the engine independent of whichever loop the host runs
(or of none at all, for the blocking API), and lets an async client keep loop-bound state
such as an HTTP session across calls.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

import sys

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - older Pythons
    from typing_extensions import NotRequired, TypedDict


class LlmMessage(TypedDict):
    role: str
    content: str


class LlmRequest(TypedDict):
    """What the callable receives."""

    purpose: str
    messages: List[LlmMessage]
    json_schema: Optional[Dict[str, Any]]
    temperature: float
    max_tokens: Optional[int]


class LlmUsage(TypedDict):
    prompt_tokens: int
    completion_tokens: int


class LlmAnswer(TypedDict):
    """What the callable may return instead of the bare text."""

    text: str
    usage: NotRequired[Optional[LlmUsage]]
    model: NotRequired[Optional[str]]


LlmResult = Union[str, LlmAnswer]
LlmCallable = Callable[[LlmRequest], Union[LlmResult, Awaitable[LlmResult]]]


class _LoopThread:
    """An asyncio event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="resumeflow-llm-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        async def wait() -> Any:
            return await awaitable

        # Future.result() waits on a condition variable, which releases the GIL.
        return asyncio.run_coroutine_threadsafe(wait(), self.loop).result()


class HostLlm:
    """Adapts ``fn`` (sync or async) to the engine's synchronous LLM port."""

    def __init__(self, fn: LlmCallable, model: Optional[str] = None) -> None:
        if not callable(fn):
            raise TypeError("llm must be a callable taking a request dict")
        self.fn = fn
        self.model = model or _default_model_name(fn)
        self._loop: Optional[_LoopThread] = None
        self._lock = threading.Lock()

    def _loop_thread(self) -> _LoopThread:
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop

    def __call__(self, request: LlmRequest) -> LlmResult:
        result = self.fn(request)
        if inspect.isawaitable(result):
            result = self._loop_thread().run(result)
        return result


def _default_model_name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return f"python:{module}.{name}"


def adapt(llm: Union[LlmCallable, HostLlm, None], model: Optional[str] = None) -> Optional[HostLlm]:
    if llm is None or isinstance(llm, HostLlm):
        return llm
    return HostLlm(llm, model)
