"""A reference for the job's outputs: a bounded run with fresh state over the same topic, into
outputs of its own, and the simulated stream the fault and cluster tests feed it (R1, #20).

A streaming job and the reference may differ only in windowed alerts whose window held an event
one of the two counted late, and in breakers the router's expiry keeper released on the wall
clock; everything else (per-run and per-customer alerts, the lake, the DLQ) is equal exactly.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from agentgauge.wiring import job_config
from jobs.config import JobConfig
from jobs.runner import run_bounded
from streams.pricing import PriceTable
from streams.topics import create_topics
from tests.support.flink import lake_lines

START = datetime(2026, 11, 16, tzinfo=UTC)
BAD = [b"{not json", b'{"event_type": "model_call"}', b"\xff\xfe invalid utf-8", b"[" * 3000]


def stream_records(s: AppSettings, runs: int = 3000) -> tuple[list[tuple[bytes, bytes]], int, int]:
    """The stream: simulated traffic with incidents of every kind of rule, re-sent duplicates
    and invalid records mixed in. Returns (records, unique valid events, invalid records)."""
    cfg = SimConfig(
        runs=runs,
        seed=23,
        start=START,
        days=0.25,
        incidents=("cost_runaway", "tool_loop", "error_spike", "retry_storm"),
    )
    events = simulate(cfg, PriceTable.load(s.prices_file))
    rng = random.Random(5)
    out: list[tuple[bytes, bytes]] = []
    invalid = 0
    for i, e in enumerate(events):
        out.append((str(e["run_id"]).encode(), orjson.dumps(e)))
        if i % 400 == 199:
            out.append((b"bad", BAD[invalid % len(BAD)]))
            invalid += 1
        if i % 50 == 49:  # an at-least-once producer's re-send
            again = events[rng.randrange(i + 1)]
            out.append((str(again["run_id"]).encode(), orjson.dumps(again)))
    # A tail two hours later on every partition: the watermark passes the last windows, so the
    # streaming job closes them as the bounded reference does at its end.
    end = max(str(e["ts"]) for e in events)
    for k in range(8):
        tail = {**events[0], "event_id": f"tail-{k}", "run_id": f"tail-run-{k}"}
        tail.update(event_type="run_started", ts=later(end, hours=2))
        events.append(tail)
        out.append((tail["run_id"].encode(), orjson.dumps(tail)))
    return out, len({e["event_id"] for e in events}), invalid


def closing_tail(s: AppSettings, records: list[tuple[bytes, bytes]], hours: float = 4.0) -> int:
    """One ``run_started`` on every partition of the events topic, ``hours`` past the stream's
    last event: the traffic that follows a restart. Returns how many events it sent.

    A checkpoint holds the windows, not the watermark: a window whose closing watermark came
    from records before the restore point closes at the next records after it (on every
    partition, or on the active ones once the others are idle for ``idle_timeout_s``). A fault
    test whose last restart restored a checkpoint taken after the stream's tail was read (one
    CI run: every partition's offset at its end) has no such records, and its last windows
    would stay open until traffic resumes; docs/faults.md."""
    events = []
    for _, value in records:
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(event, dict) and "ts" in event:
            events.append(event)
    end = max(str(e["ts"]) for e in events)
    producer = s.connection().producer(acks="all")
    try:
        partitions = sorted(producer.partitions_for(s.topic_events))
        for p in partitions:
            tail = {**events[0], "event_id": f"closing-{p}", "run_id": f"closing-run-{p}"}
            tail.update(event_type="run_started", ts=later(end, hours=hours))
            key, value = tail["run_id"].encode(), orjson.dumps(tail)
            producer.send(s.topic_events, key=key, value=value, partition=p)
        producer.flush(60)
    finally:
        producer.close(10)
    return len(partitions)


def later(ts: str, hours: float) -> str:
    t = datetime.fromisoformat(ts.replace("Z", "+00:00")) + timedelta(hours=hours)
    return t.isoformat().replace("+00:00", "Z")


class Stream(threading.Thread):
    """Produces the records in order at a steady rate, across the kills."""

    def __init__(self, s: AppSettings, records: list[tuple[bytes, bytes]], seconds: float) -> None:
        super().__init__(daemon=True)
        self.s, self.records, self.seconds = s, records, seconds
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        producer = self.s.connection().producer(acks="all", linger_ms=5)
        try:
            started, n = time.monotonic(), len(self.records)
            for i, (key, value) in enumerate(self.records):
                producer.send(self.s.topic_events, key=key, value=value)
                self.sent = i + 1
                ahead = started + self.seconds * (i + 1) / n - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)  # pacing the producer
            producer.flush(60)
        except BaseException as exc:
            self.error = exc
        finally:
            producer.close(10)


def late_events(*cfgs: JobConfig) -> list[tuple[str, str]]:
    """(workflow, event time) of every event the job counted late (beside the lake)."""
    return [
        (str(e["workflow"]), str(e["event_time"]).replace(" ", "T"))
        for cfg in cfgs
        for e in lake_lines(Path(cfg.late_location()))
    ]


def explained_by_late(alert: dict[str, Any], late: list[tuple[str, str]]) -> bool:
    """A windowed alert whose window held an event that the streaming job or the reference
    counted late (it left that run's window, as it must): the only way their windows may
    differ. (A fresh bounded run reads its splits as they are assigned, one after another, so
    the reference drops far more as late: 2,307 events in one run, the streaming job 54.)"""
    start, end = alert.get("window_start"), alert.get("window_end")
    if not (start and end):
        return False
    return any(w == alert.get("workflow") and start[:19] <= ts[:19] < end[:19] for w, ts in late)


def expired(alert: dict[str, Any], opened: set[tuple[Any, Any]]) -> bool:
    """A breaker the router's expiry keeper released because its ``until`` (the alert's
    ``window_start``) passed on the wall clock: whether a run lasts past it depends on when the
    test runs (a customer's breaker holds to the end of the hour, at least 10 minutes), so it is
    not compared with the reference; it must release a breaker this run opened, once its
    ``until`` had passed."""
    if alert.get("rule") != "breaker_released" or alert.get("actor") != "agentgauge-expiry":
        return False
    until = datetime.fromisoformat(str(alert["window_start"]).replace("Z", "+00:00"))
    return (alert.get("scope"), alert.get("scope_key")) in opened and until <= datetime.now(UTC)


def reference(s: AppSettings, tmp: Path) -> tuple[AppSettings, JobConfig]:
    """A bounded run with fresh state over the same events, into outputs of its own."""
    ref = s.model_copy(
        update={
            "topic_alerts": s.topic_alerts + "-ref",
            "topic_dlq": s.topic_dlq + "-ref",
            "topic_controls": s.topic_controls + "-ref",
            "var_dir": tmp / "ref-var",
        }
    )
    create_topics(ref)
    cfg = job_config(
        ref,
        group_id="g-ref",
        lake_path=(tmp / "ref-var" / "lake").resolve(),
        checkpoint_dir=(tmp / "ref-var" / "checkpoints").resolve(),
    )
    run_bounded(cfg)
    return ref, cfg


@dataclass(frozen=True)
class Comparison:
    """How a job's alerts differ from the reference's."""

    ids: Counter[str]  # the job's alert ids, with how often each is on the topic
    expected: Counter[str]  # the reference's
    differ: list[dict[str, Any]]  # in one and not the other (expiry releases left out)
    unexplained: list[dict[str, Any]]  # of those, not explained by an event counted late
    missing: set[str]  # the reference's, not the job's, unexplained


def compare(
    alerts: list[dict[str, Any]], ref_alerts: list[dict[str, Any]], late: list[tuple[str, str]]
) -> Comparison:
    ids = Counter(a["alert_id"] for a in alerts)
    expected = Counter(a["alert_id"] for a in ref_alerts)
    by_id = {a["alert_id"]: a for a in alerts}
    ref_by_id = {a["alert_id"]: a for a in ref_alerts}

    def opened(found: list[dict[str, Any]]) -> set[tuple[Any, Any]]:
        return {
            (a.get("scope"), a.get("scope_key")) for a in found if a["rule"] == "breaker_opened"
        }

    mine, theirs = opened(alerts), opened(ref_alerts)
    differ = [by_id[i] for i in set(ids) - set(expected) if not expired(by_id[i], mine)]
    differ += [ref_by_id[i] for i in set(expected) - set(ids) if not expired(ref_by_id[i], theirs)]
    missing = {
        i
        for i in set(expected) - set(ids)
        if not explained_by_late(ref_by_id[i], late) and not expired(ref_by_id[i], theirs)
    }
    unexplained = [a for a in differ if not explained_by_late(a, late)]
    return Comparison(ids, expected, differ, unexplained, missing)
