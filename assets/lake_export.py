"""``agentgauge lake export``: a date range of the lake to one Parquet or CSV file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from assets.resources import Lake
from assets.sql import sql
from streams.cli.common import console, err_console, settings


def export_lake(lake: Path, since: date, until: date, out: Path) -> tuple[int, int]:
    """Unique events of the committed files of days since..until (inclusive) -> ``out``.
    Returns (days, rows)."""
    if out.suffix not in (".parquet", ".csv"):
        raise ValueError(f"{out}: the output must end in .parquet or .csv")
    if until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    res = Lake(path=str(lake))
    days = [d for d in res.partitions() if since.isoformat() <= d <= until.isoformat()]
    files = [f for d in days for f in res.files(d)]
    if not files:
        raise LookupError(f"no committed lake files in {lake} from {since} to {until}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        rel = conn.sql(sql("lake_export"), params={"files": files})
        if out.suffix == ".parquet":
            rel.write_parquet(str(out))
        else:
            rel.write_csv(str(out))
        reader = "read_parquet" if out.suffix == ".parquet" else "read_csv"
        rows = conn.execute(f"SELECT count(*) FROM {reader}(?)", [str(out)]).fetchone()
    return len(days), int(rows[0]) if rows else 0


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r}: expected a date, YYYY-MM-DD") from None


def export_cmd(
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (UTC)")],
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (UTC)")],
    out: Annotated[Path, typer.Option(help="events.parquet or events.csv")],
) -> None:
    """Export the lake's unique events of a date range (redacted, as landed)."""
    try:
        first, last = _day("--since", since), _day("--until", until)
        days, rows = export_lake(settings().lake_path, first, last, out)
    except (ValueError, LookupError) as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"{rows} events from {days} day(s) -> {out}")
