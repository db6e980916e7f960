"""Benchmark helpers: a private embedded broker and result printing."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentgauge.local.broker import EmbeddedBroker
from agentgauge.settings import AppSettings
from streams.topics import create_topics

console = Console(width=160)  # wide tables stay readable in logs and pipes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bench_broker() -> Iterator[AppSettings]:
    with tempfile.TemporaryDirectory() as tmp:
        broker = EmbeddedBroker(Path(tmp), free_port())
        broker.start()
        try:
            settings = AppSettings(bootstrap_servers=f"127.0.0.1:{broker.port}", var_dir=Path(tmp))
            create_topics(settings)
            yield settings
        finally:
            broker.stop()


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*row)
    console.print(table)
