"""The lake layout the Flink job lands: ``<lake>/dt=YYYY-MM-DD/part-*``, JSON lines.

Files whose names start with ``.`` (in progress) or ``_`` (markers) are not committed; readers
(the warehouse load, replay, export, tests) list committed files through this module only.
:func:`write_lake` writes the same layout, for tests and benchmarks (and backfills from files);
in production the Flink job is the only writer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from streams.contract import parse_rfc3339, to_wire, validate_event


def partitions(lake: Path) -> list[str]:
    """The days (``YYYY-MM-DD``) that have a folder in the lake, in order."""
    if not lake.exists():
        return []
    return sorted(p.name[3:] for p in lake.glob("dt=*") if p.is_dir())


def committed_files(lake: Path, day: str | None = None) -> list[Path]:
    """Committed files of one day (or of every day), oldest-landed first within a day."""
    days = [day] if day is not None else partitions(lake)
    out: list[Path] = []
    for d in days:
        folder = lake / f"dt={d}"
        files = [f for f in folder.glob("*") if f.is_file() and not f.name.startswith((".", "_"))]
        out += sorted(files, key=lambda f: (f.stat().st_mtime, f.name))
    return out


def write_lake(
    events: Iterable[dict[str, Any]], lake: Path, validate: bool = True
) -> dict[str, int]:
    """Append events to the lake, one new file per day; returns rows written per day."""
    by_day: dict[str, list[bytes]] = defaultdict(list)
    for e in events:
        if validate:
            e = to_wire(validate_event(e))
        day = parse_rfc3339(str(e["ts"])).date().isoformat()
        by_day[day].append(orjson.dumps(e))
    name = f"part-import-{uuid.uuid4().hex[:12]}"
    for day, lines in by_day.items():
        folder = lake / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.inprogress"
        tmp.write_bytes(b"\n".join(lines) + b"\n")
        tmp.rename(folder / name)  # readers never see a half-written file
    return {d: len(v) for d, v in sorted(by_day.items())}
