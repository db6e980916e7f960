"""``agentgauge broker start|stop|status``: the embedded broker."""

from __future__ import annotations

from typing import Annotated

import typer

from agentgauge.cli._base import App
from agentgauge.cli._render import console, settings
from agentgauge.local.broker import EmbeddedBroker

app = App(help="The embedded Kafka-compatible broker (Tansu, memory storage).")


def _broker(port: int | None) -> EmbeddedBroker:
    s = settings()
    return EmbeddedBroker(s.var_dir, port or s.broker_port)


@app.command("start")
def broker_start(port: Annotated[int | None, typer.Option(help="Listen port")] = None) -> None:
    """Start the broker on 127.0.0.1 (harmless if it already runs)."""
    st = _broker(port).start()
    console.print(f"[green]broker ready[/] on {st.bootstrap} (pid {st.pid}, log {st.log_file})")


@app.command("stop")
def broker_stop() -> None:
    """Stop the broker. Its memory storage goes with it."""
    stopped = _broker(None).stop()
    console.print("broker stopped" if stopped else "no broker was running")


@app.command("status")
def broker_status() -> None:
    """Show whether the broker runs and answers a metadata request."""
    st = _broker(None).status()
    if not st.running:
        console.print("[yellow]broker not running[/]")
        raise typer.Exit(1)
    state = "[green]ready[/]" if st.ready else "[red]not answering metadata[/]"
    console.print(f"broker pid {st.pid} on {st.bootstrap}: {state}")
    if not st.ready:
        raise typer.Exit(1)
