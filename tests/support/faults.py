"""The fault suite's summary: each fault test adds its figures, and the session prints them as
one table at its end (``pytest_terminal_summary`` in tests/conftest.py) and writes them to
``var/fault-report.json`` for docs/faults.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = (
    "test",
    "trials",
    "kills",
    "events in",
    "events out",
    "dropped (queue full)",
    "alerts expected",
    "alerts delivered",
    "duplicated",
    "lost",
    "max emit block ms",
    "heap slope MB/min",
)
ROWS: list[dict[str, Any]] = []


def record(**row: Any) -> None:
    ROWS.append(row)


def render() -> str:
    cells = [[str(r.get(c, "-")) for c in COLUMNS] for r in ROWS]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ROWS, indent=2))
