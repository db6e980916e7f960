"""Resources: the DuckDB warehouse, the lake, the alerts source and the gates file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import orjson
from dagster_duckdb import DuckDBResource

from assets import snapshot
from assets.gates import Gates, load_gates
from streams import lake as lake_layout
from streams.kafka import Connection


class Warehouse(DuckDBResource):
    """DuckDB, with the session time zone pinned to UTC (ISO weeks start Monday 00:00 UTC).

    ``database`` is the writers' file. With ``published`` set, each run (each step's process
    under the multiprocess executor) that used the warehouse ends by publishing a copy there for
    readers (``assets.snapshot``): readers never wait on a writer's lock."""

    published: str = ""
    # DuckDB spills to disk past this (its default is 80% of RAM): a 50M-event backfill stays
    # within a few GB of resident memory.
    memory_limit: str = "2GB"

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        if self.published:
            snapshot.ensure_work(Path(self.database), Path(self.published))
        with self.get_connection() as conn:
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
            yield conn

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self.published:
            snapshot.publish(Path(self.database), Path(self.published))


def day_signature(day: str, landed: list[tuple[str, datetime]]) -> str:
    """A lake day's committed files, as they stand: how many, and the newest landing."""
    newest = max((t.timestamp() for _, t in landed), default=0.0)
    return f"{day}:{len(landed)}:{newest:.3f}"


class Lake(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The lake the Flink job lands: ``<path>/dt=YYYY-MM-DD/part-*`` JSON lines."""

    path: str

    def partitions(self) -> list[str]:
        return lake_layout.partitions(Path(self.path))

    def files(self, day: str) -> list[str]:
        """Committed files of one day, oldest-landed first (in-progress files start with '.')."""
        return [str(f) for f in lake_layout.committed_files(Path(self.path), day)]

    def landed(self, day: str) -> list[tuple[str, datetime]]:
        """:meth:`files` with the time each landed (its mtime, UTC)."""
        return [(f, datetime.fromtimestamp(Path(f).stat().st_mtime, UTC)) for f in self.files(day)]

    def signature(self, day: str) -> str:
        """Changes whenever a file lands in the day (the sensor's run keys; what
        `materialize --all` compares to skip days already loaded)."""
        return day_signature(day, self.landed(day))


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
