"""``agentgauge report``: the weekly review as one self-contained HTML file (docs/report.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from agentgauge.cli._base import App
from agentgauge.cli._render import console, settings
from assets._db import connect_utc
from assets.partitions import iso_week_start
from assets.report.asset import write_report
from assets.report.data import ReportUnavailable

app = App()


@app.command("report")
def report_cmd(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W46 (default: the latest)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write it (default: var/reports/<week>.html)")
    ] = None,
) -> None:
    """Write the weekly review (HTML, no script, no network) from the warehouse; print its path."""
    s = settings()
    start = date.fromisoformat(iso_week_start(week)) if week else None
    if not s.duckdb_path.exists():
        raise ReportUnavailable(
            f"no warehouse at {s.duckdb_path}: run `agentgauge materialize --all`"
        )
    with connect_utc(str(s.duckdb_path), read_only=True) as conn:
        path, _ = write_report(conn, start, out, s.reports_dir)
    console.print(str(path), soft_wrap=True, highlight=False)
