"""``agentgauge demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from agentgauge.cli._base import App
from agentgauge.cli._render import settings
from agentgauge.demo import run_demo

app = App()


@app.command("demo")
def demo_cmd(
    runs: Annotated[int, typer.Option(min=10, help="Runs of two-week history")] = 2000,
    keep: Annotated[bool, typer.Option(help="Leave the broker and the job running")] = False,
) -> None:
    """Broker, streaming job, traffic with incidents, alerts as they arrive, weekly scorecard."""
    if not run_demo(settings(), runs, keep):
        raise typer.Exit(1)
