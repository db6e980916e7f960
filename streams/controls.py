"""Breakers: what the control topic (``agent-controls``) says is open, followed on a background
thread so that checking a run is a dictionary lookup on the caller's thread.

A record is one JSON object keyed by ``<scope>:<key>`` (the topic is compacted, so the newest
record of each breaker survives and a process that starts later learns what is open now):

    {"action": "opened", "scope": "customer", "key": "cust-7", "reason": "...", "alert_id": "...",
     "opened_at": "2026-12-01T12:00:00.000Z", "until": "2026-12-01T13:00:00.000Z", "actor": "..."}
    {"action": "released", "scope": "customer", "key": "cust-7", "reason": "...", "actor": "..."}

Scopes: ``run``, ``customer``, ``workflow``, ``workflow_customer`` (key ``<workflow>/<customer>``)
and ``prompt_version``. A breaker past its ``until`` is closed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from streams.contract import format_ts
from streams.errors import BreakerOpen, ConfigError

if TYPE_CHECKING:
    from kafka import KafkaConsumer, TopicPartition

    from streams.kafka import Connection
    from streams.run import Run

log = logging.getLogger(__name__)

SCOPES = ("run", "customer", "workflow", "workflow_customer", "prompt_version")
_ON_ENTRY = ("customer", "workflow", "workflow_customer", "prompt_version")
_POLL_MS = 100
_HEARTBEAT_S = 1.0


@dataclass(frozen=True)
class Breaker:
    scope: str
    key: str
    reason: str
    opened_at: str
    until: str | None = None
    alert_id: str | None = None
    actor: str | None = None

    @property
    def until_epoch(self) -> float | None:
        return None if self.until is None else _epoch(self.until)

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "key": self.key,
            "reason": self.reason,
            "opened_at": self.opened_at,
            "until": self.until,
            "alert_id": self.alert_id,
            "actor": self.actor,
        }


def _epoch(ts: str) -> float:
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"until without an offset: {ts[:40]!r}")
    return moment.timestamp()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:1000]


def assign_from_start(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """Assign every partition of ``topic`` to ``consumer`` and seek to its beginning (the
    control topic is read whole: its newest record per breaker is the state)."""
    from kafka import TopicPartition

    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise LookupError(f"topic {topic} does not exist")
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    return tps


def control_key(scope: str, key: str) -> bytes:
    if scope not in SCOPES:
        raise ConfigError(f"unknown breaker scope {scope!r}; one of {', '.join(SCOPES)}")
    return f"{scope}:{key}".encode()


def opened_record(breaker: Breaker) -> bytes:
    return orjson.dumps({"action": "opened", **breaker.to_json()})


def released_record(scope: str, key: str, reason: str, actor: str | None) -> bytes:
    now = format_ts(datetime.now(UTC))
    return orjson.dumps(
        {
            "action": "released",
            "scope": scope,
            "key": key,
            "reason": reason,
            "actor": actor,
            "released_at": now,
        }
    )


def breaker_alert(
    rule: str, scope: str, key: str, reason: str, actor: str, start: str, end: str | None
) -> dict[str, Any]:
    """The alert record of a breaker change (``breaker_opened`` / ``breaker_released``): what,
    why, who; ``window_start`` is when, ``window_end`` until when."""
    fields: dict[str, str | None] = {"workflow": None, "customer_id": None, "run_id": None}
    if scope in ("workflow", "workflow_customer"):
        fields["workflow"] = key.split("/", 1)[0]
    if scope == "customer":
        fields["customer_id"] = key
    elif scope == "workflow_customer":
        fields["customer_id"] = key.split("/", 1)[1] if "/" in key else None
    elif scope == "run":
        fields["run_id"] = key
    now = format_ts(datetime.now(UTC))
    return {
        "alert_id": hashlib.sha256(f"{rule}|{scope}|{key}|{start}".encode()).hexdigest()[:32],
        "rule": rule,
        "severity": "warning",
        **fields,
        "window_start": start,
        "window_end": end,
        "detected_at": now,
        "runbook": "docs/breaker.md",
        "scope": scope,
        "scope_key": key,
        "reason": reason,
        "actor": actor,
    }


class BreakerState:
    """Open breakers by (scope, key), folded from control records in topic order."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], Breaker] = {}

    def apply(self, value: bytes | None) -> None:
        """Fold one record. A record that is not a control record (not JSON, not an object, a
        field of the wrong type, a bad ``until``) is ignored and logged: one bad record must not
        stop the follower, which would then never learn the breakers after it."""
        try:
            rec = orjson.loads(value or b"")
            scope, key, action = str(rec["scope"]), str(rec["key"]), rec["action"]
        except (orjson.JSONDecodeError, KeyError, TypeError, IndexError) as exc:
            log.warning("ignoring a control record that is not one: %s", str(exc)[:200])
            return
        if action == "released":
            self._open.pop((scope, key), None)
        elif action == "opened":
            try:
                until = rec.get("until")
                if until is not None and not isinstance(until, str):
                    raise TypeError(f"until must be a string, got {type(until).__name__}")
                breaker = Breaker(
                    scope=scope,
                    key=key,
                    reason=_text(rec.get("reason")) or "",
                    opened_at=_text(rec.get("opened_at")) or "",
                    until=until,
                    alert_id=_text(rec.get("alert_id")),
                    actor=_text(rec.get("actor")),
                )
                breaker.until_epoch  # noqa: B018 - a bad timestamp is not a breaker
            except (TypeError, ValueError, OverflowError) as exc:
                log.warning("ignoring a control record with a bad field: %s", str(exc)[:200])
                return
            self._open[(scope, key)] = breaker

    def get(self, scope: str, key: str | None, now: float) -> Breaker | None:
        if key is None:
            return None
        b = self._open.get((scope, key))
        if b is None:
            return None
        until = b.until_epoch
        return b if until is None or now < until else None

    def expired(self, now: float) -> list[Breaker]:
        """Breakers still on record whose ``until`` has passed."""
        return [b for b in self._open.values() if (u := b.until_epoch) is not None and u <= now]

    def forget(self, scope: str, key: str) -> None:
        self._open.pop((scope, key), None)

    def open_breakers(self, now: float | None = None) -> list[Breaker]:
        t = time.time() if now is None else now
        return [b for (s, k) in list(self._open) if (b := self.get(s, k, t)) is not None]


class Controls:
    """Follows the control topic on a daemon thread; :meth:`check` reads the folded state."""

    def __init__(
        self,
        connection: Connection,
        topic: str,
        *,
        fail: str = "open",
        max_staleness_s: float = 30.0,
        wait_s: float = 2.0,
    ) -> None:
        self._connection = connection
        self._topic = topic
        self._fail = fail
        self._max_staleness_s = max_staleness_s
        self._wait_s = wait_s
        self.state = BreakerState()
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._answered = threading.Event()  # synced, or the first attempt failed
        self._last_ok = 0.0  # monotonic time of the last poll that reached the broker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._follow, name="agentgauge-controls", daemon=True
        )
        self._thread.start()

    # -- caller side ---------------------------------------------------------------------
    def stale(self) -> bool:
        return not self._synced.is_set() or (
            time.monotonic() - self._last_ok > self._max_staleness_s
        )

    def check(self, run: Run, *, starting: bool = False) -> None:
        """Raise :class:`BreakerOpen` if a breaker covers ``run``; on entry, also when the state
        is older than the bound and ``controls_fail`` is ``closed``."""
        base = run._base
        now = time.time()
        if starting:
            if not self._answered.is_set():
                # A process that just started learns first, unless the broker is known down.
                self._answered.wait(self._wait_s)
            wf, customer = base["workflow"], base["customer_id"]
            keys: tuple[tuple[str, str | None], ...] = (
                ("customer", customer),
                ("workflow", wf),
                ("workflow_customer", f"{wf}/{customer}"),
                ("prompt_version", base.get("prompt_version")),
            )
        else:
            keys = (("run", run.run_id), ("customer", base["customer_id"]))
        with self._lock:  # the last known state holds, however old
            for scope, key in keys:
                b = self.state.get(scope, key, now)
                if b is not None:
                    raise BreakerOpen(
                        f"breaker open on {scope} {key}: {b.reason}", scope=scope, key=str(key)
                    )
        if starting and self._fail == "closed" and self.stale():
            raise BreakerOpen(
                "breaker state unknown (control topic unreachable) and controls_fail=closed",
                scope="controls",
                key=self._topic,
            )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    # -- follower thread -----------------------------------------------------------------
    def _follow(self) -> None:

        backoff = 0.2
        while not self._stop.is_set():
            consumer = None
            try:
                consumer = self._connection.consumer(
                    client_id="agentgauge-controls",
                    session_timeout_ms=3000,
                    heartbeat_interval_ms=1000,
                    request_timeout_ms=4000,
                )
                tps = assign_from_start(consumer, self._topic)
                ends = consumer.end_offsets(tps)
                self._last_ok = time.monotonic()
                backoff = 0.2
                while not self._stop.is_set():
                    batch = consumer.poll(timeout_ms=_POLL_MS)
                    if batch:
                        self._last_ok = time.monotonic()
                    elif time.monotonic() - self._last_ok > _HEARTBEAT_S:
                        # An empty poll says nothing when the broker is gone: ask it something.
                        consumer.end_offsets(tps)
                        self._last_ok = time.monotonic()
                    with self._lock:
                        for records in batch.values():
                            for r in records:
                                self.state.apply(r.value)
                    if (
                        not self._synced.is_set()
                        and not batch
                        and all(consumer.position(tp) >= ends[tp] for tp in tps)
                    ):
                        self._synced.set()
                        self._answered.set()
            except Exception as exc:  # keep the last known state; retry
                self._answered.set()
                log.debug("control topic unavailable (%s); retrying", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if consumer is not None:
                    with contextlib.suppress(Exception):
                        consumer.close()
