"""``agentgauge breaker open|release|list``: stop a customer, a workflow, a prompt version (the
rollback switch) or a run in seconds, and let it go again."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from agentgauge.breakers import list_breakers, open_breakers, parse_duration, release_breakers
from agentgauge.cli._base import App
from agentgauge.cli._render import Format, console, settings
from streams.errors import ConfigError

app = App(help="Breakers: refuse new runs (and stop running ones) for a scope.")

Customer = Annotated[list[str] | None, typer.Option("--customer", help="A customer id")]
Workflow = Annotated[list[str] | None, typer.Option("--workflow", help="A workflow")]
Prompt = Annotated[
    list[str] | None, typer.Option("--prompt-version", help="A prompt version (rollback)")
]
RunOpt = Annotated[list[str] | None, typer.Option("--run", help="A run id")]
Reason = Annotated[str, typer.Option("--reason", help="Why (on-call and the warehouse keep it)")]
By = Annotated[str | None, typer.Option("--by", help="Who (default: the login name)")]


def _targets(
    customer: list[str] | None,
    workflow: list[str] | None,
    prompt: list[str] | None,
    run: list[str] | None,
) -> list[tuple[str, str]]:
    targets = (
        [("customer", c) for c in customer or []]
        + [("workflow", w) for w in workflow or []]
        + [("prompt_version", p) for p in prompt or []]
        + [("run", r) for r in run or []]
    )
    if not targets:
        raise ConfigError("name at least one --customer, --workflow, --prompt-version or --run")
    if any(not key.strip() for _, key in targets):
        raise ConfigError("an empty breaker key: give the id or name")
    return targets


@app.command("open")
def breaker_open(
    reason: Reason,
    customer: Customer = None,
    workflow: Workflow = None,
    prompt_version: Prompt = None,
    run: RunOpt = None,
    hold: Annotated[
        str | None, typer.Option("--for", help="How long (30m, 2h, 1d); default: until released")
    ] = None,
    by: By = None,
) -> None:
    """Open breakers: new runs in scope raise BreakerOpen; running runs of an open run or
    customer breaker raise at their next call."""
    targets = _targets(customer, workflow, prompt_version, run)
    duration = parse_duration(hold) if hold else None
    for a in open_breakers(settings(), targets, reason, by or getpass.getuser(), duration):
        until = a["window_end"] or "released"
        console.print(f"opened {a['scope']} {a['scope_key']} until {until} (alert {a['alert_id']})")


@app.command("release")
def breaker_release(
    reason: Annotated[str, typer.Option("--reason", help="Why")] = "released by hand",
    customer: Customer = None,
    workflow: Workflow = None,
    prompt_version: Prompt = None,
    run: RunOpt = None,
    by: By = None,
) -> None:
    """Release breakers."""
    targets = _targets(customer, workflow, prompt_version, run)
    for a in release_breakers(settings(), targets, reason, by or getpass.getuser()):
        console.print(f"released {a['scope']} {a['scope_key']} (alert {a['alert_id']})")


@app.command("list")
def breaker_list(
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """The breakers open now."""
    open_now = list_breakers(settings())
    if fmt == Format.json:
        typer.echo(json.dumps([b.to_json() for b in open_now], indent=2))
        return
    table = Table("scope", "key", "reason", "opened", "until", "by", "alert")
    for b in open_now:
        table.add_row(
            b.scope, b.key, b.reason, b.opened_at, b.until or "-", b.actor or "-", b.alert_id or "-"
        )
    console.print(table if open_now else "no breaker is open")
