"""CLI: ``agentgauge materialize`` and ``agentgauge scorecard``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import duckdb
import typer
from rich.table import Table

from assets.partitions import iso_week_start
from streams.cli.common import console, err_console, settings


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _check_week(week: str | None) -> None:
    if week is None:
        return
    try:
        iso_week_start(week)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


def materialize_cmd(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W46")] = None,
    all_weeks: Annotated[bool, typer.Option("--all", help="Every week with finished runs")] = False,
) -> None:
    """Load the lake into DuckDB and materialize the scorecards in-process (Dagster)."""
    if bool(week) == all_weeks:
        err_console.print("give exactly one of --week YYYY-Www or --all")
        raise typer.Exit(2)
    _check_week(week)
    from assets.materialize import materialize

    s = settings()
    with console.status("materializing...") as status:
        outcome = materialize(s, week, lambda msg: status.update(f"materializing {msg}"))
    for step in outcome.steps:
        console.print(f"  done: {step}")
    if outcome.failed_checks:
        err_console.print(f"[red]blocking checks failed:[/] {', '.join(outcome.failed_checks)}")
    if not outcome.ok:
        err_console.print("[red]materialization failed[/] (see the messages above)")
        raise typer.Exit(1)
    console.print(f"[green]scorecards ready[/] for {len(outcome.weeks)} week(s) in {s.duckdb_path}")


def query_scorecard(
    conn: duckdb.DuckDBPyConnection, week: str | None, workflow: str | None, segment: str | None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {
        "week": date.fromisoformat(iso_week_start(week)) if week else None,
        "workflow": workflow,
        "segment": segment,
    }
    from assets.sql import sql

    cur = conn.execute(sql("scorecard_query"), params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _arrow(delta: float | None) -> str:
    if delta is None:
        return ""
    if abs(delta) < 0.005:
        return " [dim]→[/]"
    return f" [green]↑{abs(delta):.0%}[/]" if delta > 0 else f" [red]↓{abs(delta):.0%}[/]"


def _pct(v: Any) -> str:
    return "-" if v is None else f"{v:.1%}"


def render_table(rows: list[dict[str, Any]]) -> Table:
    weeks = ", ".join(sorted({str(r["week_start"]) for r in rows}))
    table = Table(title=f"Weekly scorecard, ISO week starting {weeks} (UTC)")
    for col in (
        "workflow",
        "segment",
        "runs",
        "success",
        "escalation",
        "override",
        "retry",
        "p50 s",
        "p95 s",
        "$/success",
        "latest prompt",
        "top failure",
        "drift",
    ):
        table.add_column(
            col, justify="left" if col in ("workflow", "segment", "top failure") else "right"
        )
    for r in rows:
        table.add_row(
            r["workflow"],
            r["segment"],
            str(r["runs"]),
            _pct(r["success_rate"]) + _arrow(r.get("d_success_rate")),
            _pct(r["escalation_rate"]) + _arrow(r.get("d_escalation_rate")),
            _pct(r["override_rate"]) + _arrow(r.get("d_override_rate")),
            _pct(r["retry_rate"]) + _arrow(r.get("d_retry_rate")),
            "-" if r["p50_duration_ms"] is None else f"{r['p50_duration_ms'] / 1000:.1f}",
            "-" if r["p95_duration_ms"] is None else f"{r['p95_duration_ms'] / 1000:.1f}",
            "-" if r["cost_per_success"] is None else f"${r['cost_per_success']:.4f}",
            _pct(r["latest_prompt_share"]),
            r["top_failure_reason"] or "-",
            "[red]DRIFT[/]" if r.get("drift_flag") else "",
        )
    return table


def scorecard_cmd(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W46 (default: latest)")
    ] = None,
    workflow: Annotated[str | None, typer.Option(help="Only this workflow")] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.table,
) -> None:
    """Print the weekly scorecard from DuckDB (read-only)."""
    s = settings()
    _check_week(week)
    if not s.duckdb_path.exists():
        err_console.print(f"no warehouse at {s.duckdb_path}: run `agentgauge materialize --all`")
        raise typer.Exit(1)
    with duckdb.connect(str(s.duckdb_path), read_only=True) as conn:
        rows = query_scorecard(conn, week, workflow, segment)
    if not rows:
        err_console.print("no scorecard rows match")
        raise typer.Exit(1)
    if fmt is Format.json:
        print(json.dumps(rows, default=str, indent=2))
    elif fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        print(buf.getvalue(), end="")
    else:
        console.print(render_table(rows))
