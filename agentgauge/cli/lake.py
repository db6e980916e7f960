"""``agentgauge lake export``: the event lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from agentgauge.cli._base import App
from agentgauge.cli._render import console, settings
from assets.queries.lake_export import ExportError, export_lake

app = App(help="The event lake (append-only JSON lines, partitioned by day).")


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"{option} {value!r}: expected a date, YYYY-MM-DD") from None


@app.command("export")
def export_cmd(
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (UTC)")],
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (UTC)")],
    out: Annotated[Path, typer.Option(help="events.parquet or events.csv")],
) -> None:
    """Export the lake's unique events of a date range (redacted, as landed)."""
    first, last = _day("--since", since), _day("--until", until)
    days, rows = export_lake(settings().lake_path, first, last, out)
    console.print(f"{rows} events from {days} day(s) -> {out}")
