"""``agentgauge emit``, ``simulate`` and ``schema``: events into the topic, and their contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from agentgauge.cli._base import App
from agentgauge.cli._render import bytes_progress, console, count_progress, err_console, settings
from agentgauge.simulate import INCIDENTS, SimConfig, simulate
from streams.client import Gauge
from streams.contract import json_schema
from streams.emit_file import emit_file
from streams.packaged import packaged_path
from streams.pricing import PriceTable

app = App()
SCHEMA_FILE = "agent_event.v1.json"


@app.command("emit")
def emit_cmd(
    file: Annotated[Path, typer.Option("--file", "-f", exists=True, dir_okay=False)],
    rejects: Annotated[Path | None, typer.Option(help="Also write rejects here")] = None,
) -> None:
    """Validate a JSON-lines file against contract v1; produce valid events, park rejects."""
    s = settings()
    with bytes_progress() as progress:
        task = progress.add_task(f"emit {file.name}", total=file.stat().st_size)
        report = emit_file(file, s, rejects, lambda n: progress.advance(task, n))
    console.print(
        f"accepted [green]{report.accepted}[/], rejected [red]{report.rejected}[/]"
        + (
            f" (to {s.topic_dlq}" + (f" and {rejects}" if rejects else "") + ")"
            if report.rejected
            else ""
        )
    )
    if not report.delivered:
        err_console.print("[red]not every accepted event was acknowledged by Kafka[/]")
        raise typer.Exit(1)


def _parse_incidents(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    if value == "all":
        return INCIDENTS
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [n for n in names if n not in INCIDENTS]
    if unknown:
        raise typer.BadParameter(f"unknown incident(s) {unknown}; choose from {list(INCIDENTS)}")
    return names


@app.command("simulate")
def simulate_cmd(
    runs: Annotated[int, typer.Option(min=1)] = 1000,
    seed: int = 7,
    days: Annotated[float, typer.Option(min=0.001, help="Simulated span in days")] = 14.0,
    start: Annotated[
        datetime | None,
        typer.Option(
            help="Span start (UTC); default: Monday two weeks back",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    incidents: Annotated[
        str | None, typer.Option(help=f"'all' or a comma list of {', '.join(INCIDENTS)}")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write JSON lines here instead of emitting")
    ] = None,
) -> None:
    """Generate realistic agent traffic (deterministic with --seed)."""
    s = settings()
    cfg = SimConfig(runs=runs, seed=seed, days=days, incidents=_parse_incidents(incidents))
    if start is not None:
        cfg.start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    events = simulate(cfg, PriceTable.load(s.prices_file))
    if out is not None:
        with out.open("wb") as fh:
            for e in events:
                fh.write(orjson.dumps(e) + b"\n")
        console.print(f"wrote {len(events)} events from {runs} runs to {out}")
        return
    gauge = Gauge.for_batch(s)
    with count_progress() as progress:
        task = progress.add_task("emit", total=len(events))
        for i, e in enumerate(events, 1):
            gauge.emit(e)
            if i % 500 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=len(events))
    ok = gauge.flush(timeout=300)
    st = gauge.stats()
    gauge.close()
    table = Table("runs", "events", "sent", "failed", "dropped", "invalid", "redacted")
    table.add_row(
        *(
            str(v)
            for v in (runs, len(events), st.sent, st.failed, st.dropped, st.invalid, st.redacted)
        )
    )
    console.print(table)
    if not ok or st.failed or st.dropped:
        err_console.print(f"[red]delivery incomplete[/]: {gauge.last_error}")
        raise typer.Exit(1)


@app.command("schema")
def schema_cmd(
    write: Annotated[bool, typer.Option(help=f"Write streams/schema/{SCHEMA_FILE}")] = False,
) -> None:
    """Print (or write) the contract-v1 JSON Schema generated from the models."""
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if write:
        path = packaged_path("streams", "schema", SCHEMA_FILE)
        path.write_text(text)
        console.print(f"wrote {path}")
    else:
        print(text, end="")
