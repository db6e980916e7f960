"""``alerts status``: the router's deliveries, failures, retries, latency and lag."""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kafka import TopicPartition
from kafka.errors import KafkaError

from alerting.ledger import Ledger, Parking, utc_now
from streams.kafka import Connection
from streams.offsets import beyond_end, true_end_offsets

STALE_HEARTBEAT_S = 10.0


@dataclass
class DestinationStatus:
    name: str
    delivered: int = 0
    parked: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    failed_attempts: int = 0
    last_delivered_at: str | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    send_p50_ms: float | None = None


@dataclass
class RouterStatus:
    running: bool
    pid: int | None
    last_poll_at: str | None
    consumed: int
    duplicates_skipped: int
    lag: int | None
    parked_file: str
    parked_lines: int
    destinations: list[DestinationStatus]
    problem: str | None = None


def _pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _lag(conn: Connection, topic: str, group_id: str) -> tuple[int | None, str | None]:
    """(lag, problem): the alerts not yet read, and what is wrong with the group's offsets."""
    if not conn.reachable():
        return None, None
    try:
        ends = true_end_offsets(conn, topic)
        consumer = conn.consumer(group_id=group_id)
    except KafkaError:  # broker down: lag unknown, the rest still reported
        return None, None
    try:
        committed = {p: consumer.committed(TopicPartition(topic, p)) for p in ends}
    finally:
        with contextlib.suppress(Exception):
            consumer.close()
    known = {p: int(o) for p, o in committed.items() if o is not None}
    past = beyond_end(known, ends)
    lag = sum(max(end - known.get(p, 0), 0) for p, end in ends.items())
    if not past:
        return lag, None
    where = ", ".join(f"partition {p}: {o} > {e}" for p, (o, e) in past.items())
    return lag, (
        f"the router's committed offsets lie beyond the end of {topic} ({where}): the topic was"
        " recreated. A router reads those partitions from their start when it starts (alerts"
        " already delivered are skipped by its ledger)"
    )


def router_status(
    conn: Connection, topic: str, group_id: str, alerts_dir: Path, latency_window: int = 10_000
) -> RouterStatus:
    """The router's state from its ledger (in ``alerts_dir``) and its lag on ``topic``. It is
    running while its heartbeat, written every second by the polling loop, is fresh."""
    ledger = Ledger(alerts_dir / "router.sqlite")
    try:
        beat = next(iter(ledger.query("ledger_heartbeat_select")), None)
        counts = ledger.query("ledger_counts")
        latencies = ledger.query("ledger_latencies", limit=latency_window)
    finally:
        ledger.close()
    dests: dict[str, DestinationStatus] = {}
    for row in counts:
        d = dests.setdefault(row["destination"], DestinationStatus(row["destination"]))
        n, attempts = int(row["alerts"]), int(row["attempts"] or 0)
        if row["outcome"] == "delivered":
            d.delivered += n
            d.retries += attempts - n
            d.failed_attempts += attempts - n
            d.last_delivered_at = row["last_at"]
        elif row["outcome"] == "parked":
            d.parked += n
            d.retries += max(attempts - n, 0)
            d.failed_attempts += attempts
        else:
            d.suppressed[row["reason"]] = d.suppressed.get(row["reason"], 0) + n
    for name, d in dests.items():
        mine = [r for r in latencies if r["destination"] == name]
        lat = [float(r["latency_ms"]) for r in mine if r["latency_ms"] is not None]
        send = [float(r["send_ms"]) for r in mine if r["send_ms"] is not None]
        d.latency_p50_ms, d.latency_p99_ms = _pct(lat, 50), _pct(lat, 99)
        d.send_p50_ms = _pct(send, 50)
    running = False
    if beat and beat["stopped_at"] is None:
        age = (utc_now() - datetime.fromisoformat(beat["last_poll_at"])).total_seconds()
        running = age < STALE_HEARTBEAT_S
    parking = Parking(alerts_dir / "undeliverable.jsonl")
    lag, problem = _lag(conn, topic, group_id)
    return RouterStatus(
        running=running,
        pid=int(beat["pid"]) if beat else None,
        last_poll_at=beat["last_poll_at"] if beat else None,
        consumed=int(beat["consumed"]) if beat else 0,
        duplicates_skipped=int(beat["duplicates"]) if beat else 0,
        lag=lag,
        parked_file=str(parking.path),
        parked_lines=parking.count(),
        destinations=sorted(dests.values(), key=lambda d: d.name),
        problem=problem,
    )
