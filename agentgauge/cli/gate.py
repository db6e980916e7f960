"""``agentgauge gate``: a release gate a deploy pipeline calls (docs/gates.md).

Exit codes: 0 pass, 1 fail, 3 insufficient data, 2 wrong input or configuration."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, console, err_console, settings
from agentgauge.rollback import request_rollback
from assets._db import connect_utc
from assets.gates import Check, Verdict, evaluate, load_gates
from streams.errors import AgentgaugeError, ConfigError

app = App()


class NoWarehouse(AgentgaugeError):
    """No warehouse to judge from."""


def _since(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date() - timedelta(days=7)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since {text!r}: use a day, YYYY-MM-DD") from None


def _fmt(check: Check, value: float | None) -> str:
    if value is None:
        return "-"
    if check.name.endswith("_rate"):
        return f"{value:.1%}"
    if check.name == "p95_duration_ms":
        return f"{value / 1000:.1f} s"
    return f"{value:g}"


def _table(v: Verdict) -> Table:
    colour = {"pass": "green", "fail": "red", "insufficient_data": "yellow"}[v.result]
    table = Table(
        title=f"gate {v.workflow} / {v.candidate} since {v.since} (gates {v.gates_version}):"
        f" [{colour}]{v.result.upper()}[/]"
    )
    for col in ("check", "observed", "threshold", "result", "note"):
        table.add_column(col, justify="right" if col in ("observed", "threshold") else "left")
    for c in v.checks:
        mark = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]not judged[/]"}
        table.add_row(c.name, _fmt(c, c.observed), _fmt(c, c.threshold), mark[c.passed], c.note)
    return table


@app.command("gate")
def gate_cmd(
    workflow: Annotated[str, typer.Option(help="The workflow the candidate runs in")],
    candidate: Annotated[str, typer.Option(help="The candidate's prompt version")],
    since: Annotated[
        str | None, typer.Option(help="First day of the window, YYYY-MM-DD (default: 7 days ago)")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
    on_fail_webhook: Annotated[
        str | None,
        typer.Option(help="On fail, POST a signed rollback request here (AGENTGAUGE_GATE_SECRET)"),
    ] = None,
    on_fail_breaker: Annotated[
        bool, typer.Option(help="On fail, open a prompt_version breaker on the candidate")
    ] = False,
) -> None:
    """Judge a candidate prompt version against the rest of its workflow's runs."""
    if fmt is Format.csv:
        raise ConfigError("--format: table or json")
    s = settings()
    day = _since(since)
    gates = load_gates(s.gates_file)
    if not s.duckdb_path.exists():
        raise NoWarehouse(f"no warehouse at {s.duckdb_path}: run `agentgauge materialize --all`")
    with connect_utc(str(s.duckdb_path), read_only=True) as conn:
        verdict = evaluate(conn, gates, workflow, candidate, day)
    if fmt is Format.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        console.print(_table(verdict))
        console.print(verdict.message)
    if verdict.result == "fail":
        if on_fail_webhook:
            attempts = request_rollback(on_fail_webhook, verdict, s.gate_secret)
            err_console.print(
                f"rollback request accepted by {on_fail_webhook} ({attempts} attempt(s))"
            )
        if on_fail_breaker:
            from agentgauge.breakers import open_breakers

            open_breakers(
                s,
                [("prompt_version", candidate)],
                f"release gate failed for {workflow}: {verdict.message}",
                "agentgauge gate",
                None,
            )
            err_console.print(f"breaker opened on prompt_version {candidate}")
    raise typer.Exit(verdict.exit_code)
