"""A date range of the lake to one Parquet or CSV file (``agentgauge lake export``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sql
from assets._db import connect_utc
from streams import lake as lake_layout
from streams.errors import AgentgaugeError


class ExportError(AgentgaugeError):
    """The export cannot be made: an output format or a range it does not take, or nothing in
    the range."""


def export_lake(lake: Path, since: date, until: date, out: Path) -> tuple[int, int]:
    """Unique events of the committed files of days since..until (inclusive) -> ``out``.
    Returns (days, rows)."""
    if out.suffix not in (".parquet", ".csv"):
        raise ExportError(f"{out}: the output must end in .parquet or .csv")
    if until < since:
        raise ExportError(f"--until {until} is before --since {since}")
    days = [d for d in lake_layout.partitions(lake) if since.isoformat() <= d <= until.isoformat()]
    files = [str(f) for d in days for f in lake_layout.committed_files(lake, d)]
    if not files:
        raise ExportError(f"no committed lake files in {lake} from {since} to {until}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with connect_utc() as conn:
        rel = conn.sql(sql.load("duckdb", "lake_export"), params={"files": files})
        if out.suffix == ".parquet":
            rel.write_parquet(str(out))
        else:
            rel.write_csv(str(out))
        reader = "count_parquet" if out.suffix == ".parquet" else "count_csv"
        rows = conn.execute(sql.load("duckdb", reader), {"file": str(out)}).fetchone()
    return len(days), int(rows[0]) if rows else 0
