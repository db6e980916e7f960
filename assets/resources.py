"""Resources: the DuckDB warehouse, the lake, and the alerts source."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import orjson
from dagster_duckdb import DuckDBResource
from kafka import KafkaConsumer, TopicPartition

from streams.broker import port_open


def _host_port(server: str) -> tuple[str, int]:
    host, _, port = server.strip().rpartition(":")
    return host, int(port)


class Warehouse(DuckDBResource):
    """DuckDB, with the session time zone pinned to UTC (ISO weeks start Monday 00:00 UTC)."""

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with self.get_connection() as conn:
            conn.execute("SET TimeZone = 'UTC'")
            yield conn


class Lake(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The lake the Flink job lands: ``<path>/dt=YYYY-MM-DD/part-*`` JSON lines."""

    path: str

    def partitions(self) -> list[str]:
        root = Path(self.path)
        if not root.exists():
            return []
        return sorted(p.name[3:] for p in root.glob("dt=*") if p.is_dir())

    def files(self, day: str) -> list[str]:
        """Committed files of one day, oldest-landed first (in-progress files start with '.')."""
        folder = Path(self.path) / f"dt={day}"
        files = [f for f in folder.glob("*") if f.is_file() and not f.name.startswith((".", "_"))]
        return [str(f) for f in sorted(files, key=lambda f: (f.stat().st_mtime, f.name))]

    def signature(self, day: str) -> str:
        """Changes whenever a file lands in the day (for the sensor's run keys)."""
        files = self.files(day)
        newest = max((Path(f).stat().st_mtime for f in files), default=0.0)
        return f"{day}:{len(files)}:{newest:.3f}"


class AlertsSource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The ``agent-alerts`` topic, read to its end, or a JSON-lines copy of it."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "agent-alerts"
    file: str | None = None

    def read(self) -> list[dict[str, object]]:
        if self.file:
            path = Path(self.file)
            if not path.exists():
                return []
            return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        servers = self.bootstrap_servers.split(",")
        if not any(port_open(*_host_port(s)) for s in servers):  # fail fast, not after retries
            raise ConnectionError(f"no Kafka broker answers at {self.bootstrap_servers}")
        consumer = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
        try:
            parts = consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in parts]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            out: list[dict[str, object]] = []
            while batch := consumer.poll(timeout_ms=1000):
                for records in batch.values():
                    out += [orjson.loads(r.value) for r in records]
            return out
        finally:
            consumer.close()
