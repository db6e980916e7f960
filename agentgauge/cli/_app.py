"""The ``agentgauge`` app: every command group, registered in one table."""

from __future__ import annotations

import logging

import typer

from agentgauge.cli import (
    alerts,
    breaker,
    broker,
    cluster,
    demo,
    events,
    gate,
    jobs,
    lake,
    oncall,
    otlp,
    report,
    topics,
    warehouse,
)

app = typer.Typer(
    name="agentgauge",
    help="Real-time cost ceilings and weekly scorecards for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# (group, name): a named group is `agentgauge NAME ...`; None puts its commands at the top.
GROUPS: list[tuple[typer.Typer, str | None]] = [
    (broker.app, "broker"),
    (topics.app, "topics"),
    (events.app, None),  # emit, simulate, schema
    (jobs.app, "jobs"),
    (cluster.app, "cluster"),
    (alerts.app, "alerts"),
    (breaker.app, "breaker"),
    (otlp.app, "otlp"),
    (lake.app, "lake"),
    (warehouse.app, None),  # materialize, scorecard
    (gate.app, None),  # gate
    (report.app, None),  # report
    (oncall.app, None),  # replay, audit
    (demo.app, None),
]
for group, name in GROUPS:
    app.add_typer(group, name=name)


def run() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    app()
