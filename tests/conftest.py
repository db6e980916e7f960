"""Shared fixtures: one real embedded broker per test session (no Kafka mocks)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TZ", "UTC")

from streams.broker import EmbeddedBroker
from streams.settings import Settings
from streams.topics import create_topics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    var = tmp_path_factory.mktemp("var")
    b = EmbeddedBroker(var, free_port())
    b.start()
    yield b
    b.stop()


def isolated_settings(broker: EmbeddedBroker, var_dir: Path, **overrides: Any) -> Settings:
    """Settings on the session broker with freshly created topics of their own."""
    suffix = uuid.uuid4().hex[:8]
    s = Settings(
        bootstrap_servers=f"127.0.0.1:{broker.port}",
        topic_events=f"agent-events-{suffix}",
        topic_alerts=f"agent-alerts-{suffix}",
        topic_dlq=f"agent-events-dlq-{suffix}",
        var_dir=var_dir,
        **overrides,
    )
    create_topics(s)
    return s


@pytest.fixture
def settings(broker: EmbeddedBroker, tmp_path: Path) -> Settings:
    """Settings on the session broker with topics of this test's own."""
    return isolated_settings(broker, tmp_path / "var")
