"""``agentgauge topics create``."""

from __future__ import annotations

from agentgauge.cli._base import App
from agentgauge.cli._render import console, settings
from streams.topics import create_topics

app = App(help="Kafka topics.")


@app.command("create")
def topics_create() -> None:
    """Create agent-events (6 partitions), agent-alerts and agent-events-dlq if missing."""
    for name, state in create_topics(settings()).items():
        console.print(f"{name}: {state}")
