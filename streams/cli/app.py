"""The ``agentgauge`` command."""

from __future__ import annotations

import logging

import typer

from assets.cli import materialize_cmd, scorecard_cmd
from assets.lake_export import export_cmd
from assets.session_cli import audit_cmd, replay_cmd
from jobs.cli import jobs_app
from streams.cli import kafka_cmds
from streams.cli.alerts_cmds import alerts_app
from streams.cli.demo import demo_cmd

app = typer.Typer(
    name="agentgauge",
    help="Real-time cost ceilings and weekly scorecards for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(kafka_cmds.broker_app, name="broker")
app.add_typer(kafka_cmds.topics_app, name="topics")
app.add_typer(jobs_app, name="jobs")
app.add_typer(alerts_app, name="alerts")
lake_app = typer.Typer(help="The event lake (append-only JSON lines, partitioned by day).")
lake_app.command("export")(export_cmd)
app.add_typer(lake_app, name="lake")
app.command("emit")(kafka_cmds.emit_cmd)
app.command("simulate")(kafka_cmds.simulate_cmd)
app.command("schema")(kafka_cmds.schema_cmd)
app.command("demo")(demo_cmd)
app.command("materialize")(materialize_cmd)
app.command("scorecard")(scorecard_cmd)
app.command("replay")(replay_cmd)
app.command("audit")(audit_cmd)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    app()
