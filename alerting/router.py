"""``alerts route``: consume ``agent-alerts`` and deliver each alert to its destinations.

Each destination has its own worker thread and queue, so a destination that is down and
retrying does not hold up the others. Offsets are committed only up to the first alert not yet
finished (delivered, parked or suppressed) at every destination it routes to; on restart the
ledger skips what was already finished, so nothing is delivered twice and nothing is lost.
A crash between a destination's 2xx and the ledger write can still re-send that one alert:
PagerDuty folds it by ``dedup_key`` and webhook receivers by ``X-Agentgauge-Alert-Id``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from alerting.config import AlertingConfig
from alerting.delivery import Abandoned, Policy, Sender, since_detected_ms
from alerting.expiry import ExpiryKeeper
from alerting.ledger import Ledger, Outcome, Parking, utc_now
from alerting.single import RouterLock
from streams.errors import TopicMissing
from streams.kafka import Connection
from streams.offsets import beyond_end, true_end_offsets

log = logging.getLogger(__name__)

OnOutcome = Callable[[Outcome, dict[str, Any]], None]


class OffsetTracker:
    """Per partition, the offsets still being worked on. Written by hand: kafka-python has no
    out-of-order acknowledgement, and the router must not commit past an unfinished alert."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[TopicPartition, dict[int, int]] = {}
        self._next: dict[TopicPartition, int] = {}

    def add(self, tp: TopicPartition, offset: int, jobs: int) -> None:
        with self._lock:
            self._next[tp] = offset + 1
            if jobs:
                self._pending.setdefault(tp, {})[offset] = jobs

    def done(self, tp: TopicPartition, offset: int) -> None:
        with self._lock:
            left = self._pending[tp][offset] - 1
            if left:
                self._pending[tp][offset] = left
            else:
                del self._pending[tp][offset]

    def in_flight(self) -> int:
        with self._lock:
            return sum(len(p) for p in self._pending.values())

    def committable(self) -> dict[TopicPartition, int]:
        with self._lock:
            return {
                tp: min(self._pending[tp]) if self._pending.get(tp) else nxt
                for tp, nxt in self._next.items()
            }


@dataclass(frozen=True)
class _Job:
    tp: TopicPartition
    offset: int
    alert: dict[str, Any]


class _Worker(threading.Thread):
    def __init__(self, router: Router, sender: Sender, policy: Policy) -> None:
        super().__init__(name=f"alert-router-{sender.dest.name}", daemon=True)
        self.r = router
        self.sender = sender
        self.policy = policy
        self.jobs: queue.Queue[_Job] = queue.Queue()

    def run(self) -> None:
        try:
            while not self.r.stop.is_set():
                try:
                    job = self.jobs.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    self._handle(job.alert)
                except Abandoned:
                    return
                except Exception as exc:  # e.g. the ledger's disk: stop rather than lose it
                    self.r.fail(exc)
                    return
                self.r.tracker.done(job.tp, job.offset)
        finally:
            self.sender.close()

    def _handle(self, alert: dict[str, Any]) -> None:
        name, alert_id = self.sender.dest.name, str(alert["alert_id"])
        if self.r.ledger.outcome(alert_id, name) is not None:
            with self.r.counter_lock:
                self.r.duplicates += 1
            return
        now = utc_now()
        reason = self.policy.suppress_reason(alert, now)
        if reason:
            self.r.finish(Outcome(alert_id, name, "suppressed", 0, reason=reason), alert)
            return
        result = self.sender.send(alert)
        if result.ok:
            latency = since_detected_ms(alert)
            outcome = Outcome(
                alert_id, name, "delivered", result.attempts, None, latency, result.send_ms
            )
        else:
            self.r.parking.park(name, result.error or "?", result.attempts, alert)
            outcome = Outcome(alert_id, name, "parked", result.attempts, result.error)
        self.r.finish(outcome, alert)


class Router:
    def __init__(
        self,
        connection: Connection,
        topic: str,
        config: AlertingConfig,
        *,
        group_id: str,
        alerts_dir: Path,
        on_outcome: OnOutcome | None = None,
        max_in_flight: int = 10_000,
        controls_topic: str | None = None,
    ) -> None:
        self.connection = connection
        self.topic = topic
        self.config = config
        self.group_id = group_id
        self.alerts_dir = alerts_dir
        # Taken before the ledger is opened: a second router exits (RouterBusy) untouched.
        self._lock = RouterLock(alerts_dir, group_id)
        self._lock.acquire()
        self.ledger = Ledger(alerts_dir / "router.sqlite")
        self.parking = Parking(alerts_dir / "undeliverable.jsonl")
        self.on_outcome = on_outcome
        self.max_in_flight = max_in_flight
        self.tracker = OffsetTracker()
        self.stop = threading.Event()
        self.counter_lock = threading.Lock()
        self.consumed = 0
        self.duplicates = 0
        self.error: Exception | None = None
        # With a control topic, the router also records breakers' expiry (alerting/expiry.py).
        self.controls_topic = controls_topic
        # partition -> (committed, end) found beyond the topic's end at start (then rewound).
        self.rewound: dict[int, tuple[int, int]] = {}

    def fail(self, exc: Exception) -> None:
        log.error("alert router stopping: %s", exc, exc_info=exc)
        self.error = exc
        self.stop.set()

    def finish(self, outcome: Outcome, alert: dict[str, Any]) -> None:
        self.ledger.record(outcome, alert)
        if self.on_outcome:
            self.on_outcome(outcome, alert)

    def _consumer(self) -> tuple[KafkaConsumer, list[TopicPartition]]:
        consumer = self.connection.consumer(
            group_id=self.group_id,
            client_id=f"{self.connection.client_id}-alert-router",
            auto_offset_reset="earliest",
        )
        parts = consumer.partitions_for_topic(self.topic)
        if not parts:
            consumer.close()
            raise TopicMissing(f"no topic {self.topic}: run `agentgauge topics create` first")
        # One router per group: it assigns itself every partition (no group rebalancing).
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        self._rewind_if_beyond_end(consumer, tps)
        return consumer, tps

    def _rewind_if_beyond_end(self, consumer: KafkaConsumer, tps: list[TopicPartition]) -> None:
        """Committed offsets past the topic's end mean the topic was recreated (every restart of
        the embedded broker, which keeps topics in memory, does that). Kafka would reset such a
        consumer; the embedded broker never answers out of range, so the router would wait
        there and skip every alert below its old offsets. It says so and reads those partitions
        from their start: the ledger skips alerts already finished, so none is sent twice."""
        committed = {}
        for tp in tps:
            offset = consumer.committed(tp)
            if offset is not None:
                committed[tp.partition] = int(offset)
        past = beyond_end(committed, true_end_offsets(self.connection, self.topic))
        if not past:
            return
        where = ", ".join(f"partition {p}: {o} > {e}" for p, (o, e) in past.items())
        self.rewound = past
        log.warning(
            "the router's committed offsets lie beyond the end of %s (%s): the topic was"
            " recreated since; reading those partitions from their start (alerts already"
            " delivered are skipped by the ledger)",
            self.topic,
            where,
        )
        consumer.seek_to_beginning(*[tp for tp in tps if tp.partition in past])

    def _dispatch(self, workers: dict[str, _Worker], tp: TopicPartition, rec: Any) -> None:
        self.consumed += 1
        try:
            alert = orjson.loads(rec.value)
            ok = isinstance(alert, dict) and bool(alert.get("alert_id"))
        except orjson.JSONDecodeError:
            alert, ok = rec.value.decode("utf-8", "replace"), False
        if not ok:  # never dropped silently: parked with the offset it came from
            self.parking.park("-", f"not an alert record at {tp.partition}:{rec.offset}", 0, alert)
            self.tracker.add(tp, rec.offset, 0)
            return
        names = self.config.destinations_for(alert)
        self.tracker.add(tp, rec.offset, len(names))
        for name in names:
            workers[name].jobs.put(_Job(tp, rec.offset, alert))

    def _commit(self, consumer: KafkaConsumer, last: dict[TopicPartition, int]) -> None:
        offsets = self.tracker.committable()
        changed = {tp: o for tp, o in offsets.items() if last.get(tp) != o}
        if not changed:
            return
        try:
            consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in changed.items()})
            last.update(changed)
        except KafkaError as exc:  # retried on the next loop; nothing is lost meanwhile
            log.warning("offset commit failed: %s", exc)

    def _heartbeat(self, started: str, stopped: bool = False) -> None:
        now = utc_now().isoformat()
        self.ledger.heartbeat(
            pid=os.getpid(),
            group_id=self.group_id,
            topic=self.topic,
            started_at=started,
            last_poll_at=now,
            consumed=self.consumed,
            duplicates=self.duplicates,
            stopped_at=now if stopped else None,
        )

    def run(self) -> None:
        """Until :attr:`stop` is set. Raises TopicMissing if the alerts topic does not exist, and
        re-raises a worker's unexpected error after a clean stop."""
        try:
            consumer, _ = self._consumer()
        except Exception:
            self.ledger.close()
            self._lock.release()
            raise
        stop = self.stop
        workers = {
            name: _Worker(
                self,
                Sender(dest, self.config.runbook_base_url, stop),
                Policy(dest, self.config.max_alert_age_minutes),
            )
            for name, dest in self.config.destinations.items()
        }
        for w in workers.values():
            w.start()
        if self.controls_topic:
            ExpiryKeeper(self.connection, self.controls_topic, self.topic, stop).start()
        started = utc_now().isoformat()
        committed: dict[TopicPartition, int] = {}
        beat = 0.0
        try:
            while not stop.is_set():
                if self.tracker.in_flight() < self.max_in_flight:
                    for tp, records in consumer.poll(timeout_ms=200).items():
                        for rec in records:
                            self._dispatch(workers, tp, rec)
                else:
                    stop.wait(0.1)
                self._commit(consumer, committed)
                if time.monotonic() - beat > 1.0:
                    self._heartbeat(started)
                    beat = time.monotonic()
        finally:
            stop.set()
            for w in workers.values():
                w.join(timeout=30)
            self._commit(consumer, committed)
            with contextlib.suppress(Exception):
                self._heartbeat(started, stopped=True)
            consumer.close()
            self.ledger.close()
            self._lock.release()
        if self.error is not None:
            raise self.error
