"""Resources: the DuckDB warehouse, the lake, the alerts source and the gates file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import orjson
from dagster_duckdb import DuckDBResource

from assets.gates import Gates, load_gates
from streams import lake as lake_layout
from streams.kafka import Connection


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
        return lake_layout.partitions(Path(self.path))

    def files(self, day: str) -> list[str]:
        """Committed files of one day, oldest-landed first (in-progress files start with '.')."""
        return [str(f) for f in lake_layout.committed_files(Path(self.path), day)]

    def signature(self, day: str) -> str:
        """Changes whenever a file lands in the day (for the sensor's run keys)."""
        files = self.files(day)
        newest = max((Path(f).stat().st_mtime for f in files), default=0.0)
        return f"{day}:{len(files)}:{newest:.3f}"


class GatesFile(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``gates.yaml`` (docs/gates.md): the release gates and the gold-set pass mark. Empty
    ``path``: the packaged default."""

    path: str = ""

    def load(self) -> Gates:
        return load_gates(Path(self.path) if self.path else None)


@dataclass(frozen=True)
class AlertsSource:
    """The ``agent-alerts`` topic, read to its end, or a JSON-lines copy of it (``file``).

    A plain resource (``dg.ResourceParam``): it carries the Kafka :class:`Connection`, with its
    security settings, as every other client does."""

    connection: Connection
    topic: str
    file: Path | None = None

    def read(self) -> list[dict[str, object]]:
        """Every alert record; raises ``KafkaUnavailable`` or ``TopicMissing`` (streams.errors)."""
        if self.file is not None:
            if not self.file.exists():
                return []
            lines = self.file.read_bytes().splitlines()
            return [orjson.loads(line) for line in lines if line.strip()]
        return [orjson.loads(r.value) for r in self.connection.read_all(self.topic)]
