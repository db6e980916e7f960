"""The real embedded broker for the test session, settings with topics of their own, and
reading topics back. Registered as a plugin in tests/conftest.py."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentgauge.local.broker import EmbeddedBroker
from agentgauge.settings import AppSettings
from streams.topics import create_topics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(cond: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll ``cond`` until it is truthy (returned), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    var = tmp_path_factory.mktemp("var")
    b = EmbeddedBroker(var, free_port())
    b.start()
    yield b
    b.stop()


def isolated_settings(broker: EmbeddedBroker, var_dir: Path, **overrides: Any) -> AppSettings:
    """Settings on the session broker with freshly created topics of their own."""
    suffix = uuid.uuid4().hex[:8]
    s = AppSettings(
        bootstrap_servers=f"127.0.0.1:{broker.port}",
        topic_events=f"agent-events-{suffix}",
        topic_alerts=f"agent-alerts-{suffix}",
        topic_dlq=f"agent-events-dlq-{suffix}",
        topic_controls=f"agent-controls-{suffix}",
        var_dir=var_dir,
        **overrides,
    )
    create_topics(s)
    return s


@pytest.fixture
def settings(broker: EmbeddedBroker, tmp_path: Path) -> AppSettings:
    """Settings on the session broker with topics of this test's own."""
    return isolated_settings(broker, tmp_path / "var")


def read_topic(s: AppSettings, topic: str, idle_ms: int = 1500) -> list[Any]:
    """Every record of a topic, from the beginning, until it stays quiet for ``idle_ms``."""
    return s.connection().read_all(topic, idle_ms=idle_ms)


def read_json(s: AppSettings, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_topic(s, topic)]


def produce(
    s: AppSettings, topic: str, values: list[bytes], keys: list[bytes | None] | None = None
) -> None:
    """Send raw values (as a raw producer, not through the SDK) and wait for them."""
    producer = s.connection().producer(max_request_size=8 * 1024 * 1024)
    for i, value in enumerate(values):
        producer.send(topic, key=keys[i] if keys else None, value=value)
    producer.flush()
    producer.close()
