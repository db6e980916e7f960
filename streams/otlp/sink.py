"""Where mapped spans go: valid events through the SDK's send path (a :class:`~streams.Gauge`:
pricing, redaction, the bounded queue) to ``agent-events``; rejects to the DLQ with
``source: "otlp"`` and the reason. One sink serves the HTTP receiver and the Kafka bridge."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

import orjson
from kafka.errors import KafkaError

from streams.client import Gauge, Stats
from streams.dlq import dead_letter
from streams.otlp.mapping import MappingConfig, Outcome, SpanMapper
from streams.otlp.spans import Span
from streams.redaction import Redactor
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """What one batch of spans became: ``rejected`` spans (each dead-lettered with its reason;
    ``error`` names the first), events queued, spans held for their trace's identity."""

    spans: int
    events: int
    rejected: int
    held: int
    error: str = ""


@dataclass(frozen=True)
class SinkStats:
    spans: int
    events: int
    rejected: int
    held: int
    dead_letters_failed: int
    gauge: Stats


def _span_key(item: Span | dict[str, Any]) -> object:
    """Which span a reject came from: a span itself, or an event mapped from one."""
    if isinstance(item, Span):
        return id(item)
    return (item.get("trace_id"), item.get("span_id"))


class OtlpSink:
    def __init__(self, settings: Settings, mapping: MappingConfig | None = None) -> None:
        # The receiver and the bridge send events as they are (no runs): no breakers to follow.
        self.settings = settings.model_copy(update={"controls": False})
        self.gauge = Gauge(self.settings)
        self.mapper = SpanMapper(mapping)
        self._redactor = Redactor.from_file(
            settings.redaction_file, settings.pseudonym_key.get_secret_value()
        )
        self._dlq: Any = None
        self._lock = threading.Lock()  # the mapper is not thread-safe; callers may be
        self._spans = self._events = self._rejected = self._dlq_failed = 0
        self._dlq_failed_seen = 0  # dead letters failed, as of the last flush

    def has_room(self, n: int) -> bool:
        """Whether ``n`` more events fit the send queue now (else answer 429/503, or wait)."""
        st = self.gauge.stats()
        return st.queued + n <= self.settings.queue_size

    def submit(self, spans: list[Span]) -> Submitted:
        with self._lock:
            outcome = self.mapper.map(spans)
            self._spans += len(spans)
            return self._deliver(outcome, len(spans))

    def expire(self, *, everything: bool = False) -> Submitted:
        """Decide the spans held longer than ``hold_s`` (all of them when closing)."""
        with self._lock:
            return self._deliver(self.mapper.expire(everything=everything), 0)

    def _deliver(self, outcome: Outcome, spans: int) -> Submitted:
        rejects: list[tuple[Span | dict[str, Any], str]] = list(outcome.rejects)
        events = 0
        for event in outcome.events:
            # Valid by construction (the mapping checks every value it copies; a property test
            # holds it to the contract); the job validates again and dead-letters what is not.
            if self.gauge.emit(event, trusted=True):
                events += 1
            else:  # the queue is full or closed: never silent
                rejects.append((event, "the send queue was full"))
        for item, reason in rejects:
            self._dead_letter(item, reason)
        rejected = len({_span_key(item) for item, _ in rejects})
        self._events += events
        self._rejected += rejected
        return Submitted(
            spans=spans,
            events=events,
            rejected=rejected,
            held=outcome.held,
            error=rejects[0][1] if rejects else "",
        )

    def _dead_letter(self, item: Span | dict[str, Any], reason: str) -> None:
        self.dead_letter_raw(orjson.dumps(item.brief() if isinstance(item, Span) else item), reason)

    def dead_letter_raw(self, raw: bytes, reason: str) -> None:
        """Park ``raw`` (redacted, cut to the DLQ's size) with ``reason``, ``source: "otlp"``."""
        record = dead_letter(raw, reason, "otlp", None, self._redactor)
        try:
            if self._dlq is None:
                conn = self.settings.connection()
                self._dlq = conn.producer(client_id=f"{conn.client_id}-otlp-dlq", acks="all")
            self._dlq.send(self.settings.topic_dlq, value=orjson.dumps(record)).add_errback(
                self._dlq_error
            )
        except KafkaError as exc:
            self._dlq_error(exc)

    def _dlq_error(self, exc: Exception) -> None:
        self._dlq_failed += 1
        log.warning("a dead letter did not reach %s: %s", self.settings.topic_dlq, exc)

    def stats(self) -> SinkStats:
        return SinkStats(
            spans=self._spans,
            events=self._events,
            rejected=self._rejected,
            held=self.mapper.held,
            dead_letters_failed=self._dlq_failed,
            gauge=self.gauge.stats(),
        )

    def flush(self, timeout: float = 30.0) -> bool:
        """Whether every queued event and dead letter was acknowledged within ``timeout``, and
        no dead letter failed since the last flush that said so."""
        ok = self.gauge.flush(timeout)
        if self._dlq is not None:
            try:
                self._dlq.flush(timeout=timeout)
            except KafkaError:
                return False
        if self._dlq_failed != self._dlq_failed_seen:
            self._dlq_failed_seen = self._dlq_failed
            return False
        return ok

    def close(self, timeout: float = 30.0) -> None:
        self.expire(everything=True)
        self.flush(timeout)
        self.gauge.close(timeout=5)
        if self._dlq is not None:
            with contextlib.suppress(Exception):
                self._dlq.close(timeout=5)
