"""Generates python/resumeflow/_aio.py (the asyncio API) from _api.py (the blocking API).

Rules, applied line by line:
- a line ending in ``# unasync: <code>`` becomes ``<code>`` (same indentation);
- ``<x>._call(`` becomes ``await <x>._call(``;
- the API classes are renamed ``Async<Name>``;
- a ``def`` whose body awaits becomes ``async def``.

``python tools/unasync.py`` rewrites the file; ``--check`` fails if it is not current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "python" / "resumeflow"
SOURCE = HERE / "_api.py"
TARGET = HERE / "_aio.py"

CLASSES = [
    "Engine",
    "Worker",
    "Tenants",
    "Session",
    "TenantApi",
    "Users",
    "Permissions",
    "JobDescriptions",
    "Profiles",
    "Batches",
    "Scoring",
    "Candidates",
    "Employers",
]
RENAME = re.compile(r"(?<![\w.])(" + "|".join(CLASSES) + r")\b")
MARKER = re.compile(r"^(\s*).*?\s*# unasync: (.*)$")
CALL = re.compile(r"(?<![\w.])((?:self|cls)(?:\.\w+)*\._call\()")
DEF = re.compile(r"^(\s*)def ")

HEADER = '''"""The asyncio API: :class:`AsyncEngine`, :class:`AsyncSession` and their sub-APIs.

GENERATED from _api.py by tools/unasync.py: do not edit. Every method that does I/O is a
coroutine running on the engine's tokio runtime (pyo3-async-runtimes), so the event loop
never blocks; the methods and their arguments are those of the blocking API.
"""
'''


def convert(text: str) -> str:
    body = text.split('"""', 2)[2]  # drop the module docstring
    out = []
    for line in body.splitlines():
        m = MARKER.match(line)
        if m:
            line = m.group(1) + m.group(2)
        elif not line.lstrip().startswith("def "):
            line = CALL.sub(r"await \1", line)
        line = RENAME.sub(r"Async\1", line)
        out.append(line)
    # A def whose body awaits becomes async.
    for i, line in enumerate(out):
        d = DEF.match(line)
        if not d:
            continue
        indent = len(d.group(1))
        # The body starts after the signature, which may span lines.
        j, depth = i, 0
        while True:
            depth += out[j].count("(") - out[j].count(")")
            j += 1
            if depth <= 0 or j >= len(out):
                break
        awaits = False
        while j < len(out):
            nxt = out[j]
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            if re.search(r"\bawait\b", nxt):
                awaits = True
            j += 1
        if awaits:
            out[i] = d.group(1) + "async " + line[indent:]
    return HEADER + "\n".join(out) + "\n"


def main() -> int:
    generated = convert(SOURCE.read_text())
    if "--check" in sys.argv:
        if TARGET.read_text() != generated:
            print(f"{TARGET} is stale: run python tools/unasync.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
