"""``agentgauge demo``: the end-to-end run on the embedded broker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.rule import Rule

from streams.broker import EmbeddedBroker
from streams.cli.common import console, settings
from streams.cli.kafka_cmds import simulate_cmd
from streams.topics import create_topics


def demo_cmd(
    runs: Annotated[int, typer.Option(min=10)] = 2000,
    keep_broker: Annotated[bool, typer.Option(help="Leave the broker running")] = False,
) -> None:
    """Start the broker, create topics, simulate traffic with incidents and emit it."""
    s = settings()
    broker = EmbeddedBroker(s.var_dir, s.broker_port)
    console.print(Rule("1. embedded broker"))
    st = broker.start()
    console.print(f"broker ready on {st.bootstrap}")
    try:
        console.print(Rule("2. topics"))
        for name, state in create_topics(s).items():
            console.print(f"  {name}: {state}")
        console.print(Rule("3. simulated traffic -> agent-events"))
        simulate_cmd(runs=runs, seed=7, days=14.0, start=None, incidents="all", out=None)
    finally:
        if not keep_broker:
            broker.stop()
            console.print("broker stopped")
