"""``agentgauge replay TRACE_ID|RUN_ID`` and ``agentgauge audit RUN_ID``: one session."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, alert_line, console, settings
from agentgauge.wiring import ceilings
from assets.queries.replay import Session, audit_record, load_session

app = App()


def _load(ident: str) -> Session:
    s = settings()
    return load_session(s.lake_path, ident, ceilings(s).run_cost_usd, s.duckdb_path)


def _detail(e: dict[str, Any]) -> str:
    kind = e["event_type"]
    if kind == "model_call":
        toks = f"{e.get('input_tokens', '-')}/{e.get('output_tokens', '-')} tok"
        return (
            f"{e.get('model')} {toks} {e.get('latency_ms', '-')} ms attempt {e.get('attempt', 1)}"
        )
    if kind == "tool_call":
        return f"{e.get('tool')} {e.get('args_hash', '')} {e.get('latency_ms', '-')} ms"
    if kind == "retry":
        return f"reason {e.get('reason')} ({e.get('strategy', '-')})"
    if kind == "error":
        return f"{e.get('category')} {e.get('code', '')} {e.get('message', '')}"
    if kind == "escalation":
        return f"{e.get('reason')} -> {e.get('queue', '-')}"
    if kind == "human_review":
        return f"{e.get('outcome')} by {e.get('reviewer_id', '-')}"
    if kind == "decision":
        return f"{e.get('decision')} ({e.get('confidence', '-')})"
    if kind == "run_started":
        return f"budget {e.get('budget_usd', '-')} max tools {e.get('max_tool_calls', '-')}"
    if kind == "run_finished":
        return f"{e.get('status')} in {e.get('duration_ms', '-')} ms"
    return ""


@app.command("replay")
def replay_cmd(
    ident: Annotated[str, typer.Argument(metavar="TRACE_ID|RUN_ID")],
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Rebuild a session from the lake: its timeline, cost against the ceiling, its alerts."""
    print_replay(_load(ident), ident, fmt)


def print_replay(session: Session, ident: str, fmt: Format = Format.table) -> None:
    rows = session.timeline()
    if fmt is not Format.table:
        print(
            json.dumps(
                {
                    "run_ids": session.run_ids,
                    "ceiling_usd": session.ceiling_usd,
                    "events": rows,
                    "alerts": session.alerts,
                },
                default=str,
                indent=2,
            )
        )
        return
    table = Table(title=f"Replay of {ident}: {len(rows)} events, ceiling ${session.ceiling_usd}")
    for col in ("+s", "type", "detail", "status", "cost", "cumulative", "of ceiling"):
        table.add_column(col)
    for r in rows:
        share = (r["cumulative_cost_usd"] / session.ceiling_usd) if session.ceiling_usd else None
        over = share is not None and share > 1
        table.add_row(
            f"{r['t_ms'] / 1000:.2f}",
            r["event_type"],
            _detail(r),
            str(r.get("status", "")),
            f"${r['cost_usd']:.4f}" if r.get("cost_usd") is not None else "",
            f"${r['cumulative_cost_usd']:.4f}",
            ("[bold red]" if over else "") + (f"{share:.0%}" if share is not None else "-"),
        )
    console.print(table)
    for a in session.alerts:
        console.print(alert_line(a))


@app.command("audit")
def audit_cmd(ident: Annotated[str, typer.Argument(metavar="RUN_ID")]) -> None:
    """The audit record of a run: versions, models, tools and args hashes, reviews, status."""
    print(json.dumps(audit_record(_load(ident)), default=str, indent=2))
