"""What the router has done, durably: a SQLite ledger of outcomes and the parking file.

SQLite (WAL) rather than the DuckDB warehouse: the router writes while ``alerts status`` and
Dagster read, and DuckDB allows one writing process per file.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import sql as statements


def sql(name: str) -> str:
    return statements.load("sqlite", name)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    destination: str
    outcome: str  # delivered | parked | suppressed
    attempts: int
    reason: str | None = None
    latency_ms: float | None = None
    send_ms: float | None = None


class Ledger:
    """Thread-safe: the router's destination workers share one connection behind a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute(sql("ledger_create_deliveries"))
        self._conn.execute(sql("ledger_create_heartbeat"))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def outcome(self, alert_id: str, destination: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                sql("ledger_outcome"), {"alert_id": alert_id, "destination": destination}
            ).fetchone()
        return None if row is None else str(row[0])

    def record(self, o: Outcome, alert: dict[str, Any]) -> None:
        params = {
            "alert_id": o.alert_id,
            "destination": o.destination,
            "outcome": o.outcome,
            "reason": o.reason,
            "attempts": o.attempts,
            "rule": alert.get("rule"),
            "severity": alert.get("severity"),
            "detected_at": alert.get("detected_at"),
            "finished_at": utc_now().isoformat(),
            "latency_ms": o.latency_ms,
            "send_ms": o.send_ms,
        }
        with self._lock:
            self._conn.execute(sql("ledger_record"), params)

    def mark_redelivered(self, o: Outcome) -> None:
        params = {
            "alert_id": o.alert_id,
            "destination": o.destination,
            "attempts": o.attempts,
            "finished_at": utc_now().isoformat(),
            "latency_ms": o.latency_ms,
            "send_ms": o.send_ms,
        }
        with self._lock:
            self._conn.execute(sql("ledger_redelivered"), params)

    def heartbeat(self, **values: Any) -> None:
        with self._lock:
            self._conn.execute(sql("ledger_heartbeat"), values)

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql(name), params)
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


class Parking:
    """``undeliverable.jsonl``: alerts that ran out of retries, with why. Append-only: it is the
    history; the ledger says which are still parked (``alerts redeliver`` re-sends those)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()

    def park(self, destination: str, reason: str, attempts: int, alert: Any) -> None:
        line = orjson.dumps(
            {
                "parked_at": utc_now().isoformat(),
                "destination": destination,
                "reason": reason,
                "attempts": attempts,
                "alert": alert,
            }
        )
        with self._lock, self.path.open("ab") as f:
            f.write(line + b"\n")

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._lock, self.path.open("rb") as f:
            return [orjson.loads(line) for line in f if line.strip()]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open("rb") as f:
            return sum(1 for line in f if line.strip())
