"""``agentgauge materialize`` and ``agentgauge scorecard``: the warehouse."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, console, err_console, settings
from assets._db import connect_utc
from assets.partitions import iso_week_start
from assets.queries.scorecard import query_scorecard
from streams.errors import AgentgaugeError, ConfigError

if TYPE_CHECKING:
    from dagster_project.run import MaterializeReport

app = App()


class NoScorecard(AgentgaugeError):
    """No warehouse yet, or no scorecard row matches."""


@app.command("materialize")
def materialize_cmd(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W46")] = None,
    all_weeks: Annotated[bool, typer.Option("--all", help="Every week with finished runs")] = False,
) -> None:
    """Load the lake into DuckDB and materialize the scorecards in-process (Dagster)."""
    if bool(week) == all_weeks:
        raise ConfigError("give exactly one of --week YYYY-Www or --all")
    if week:
        iso_week_start(week)
    from dagster_project.run import materialize

    s = settings()
    with console.status("materializing...") as status:
        outcome = materialize(s, week, lambda msg: status.update(f"materializing {msg}"))
    if not print_report(outcome, s.duckdb_path):
        raise typer.Exit(1)


def print_report(outcome: MaterializeReport, duckdb_path: Path) -> bool:
    """Print what a materialization did; returns whether it succeeded."""
    for step in outcome.steps:
        console.print(f"  done: {step}")
    if outcome.failed_checks:
        err_console.print(f"[red]blocking checks failed:[/] {', '.join(outcome.failed_checks)}")
    if not outcome.ok:
        err_console.print("[red]materialization failed[/] (see the messages above)")
        return False
    built = f"for {len(outcome.weeks)} week(s)" if outcome.weeks else "(every week was current)"
    console.print(f"[green]scorecards ready[/] {built} in {duckdb_path}")
    return True


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
        "quality",
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
            _pct(r.get("quality_pass_rate")),
            r["top_failure_reason"] or "-",
            "[red]DRIFT[/]" if r.get("drift_flag") else "",
        )
    return table


@app.command("scorecard")
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
    if week:
        iso_week_start(week)
    if not s.duckdb_path.exists():
        raise NoScorecard(f"no warehouse at {s.duckdb_path}: run `agentgauge materialize --all`")
    with connect_utc(str(s.duckdb_path), read_only=True) as conn:
        rows = query_scorecard(conn, week, workflow, segment)
    if not rows:
        raise NoScorecard("no scorecard rows match")
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
