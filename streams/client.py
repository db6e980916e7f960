"""The emitter client: a bounded queue, a sender thread, and counters. It never breaks the agent."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from streams.contract import ContractError, format_ts, validate_event
from streams.pricing import PriceTable
from streams.redaction import Redactor
from streams.run import Run
from streams.settings import Settings, load_settings
from streams.transport import Transport, make_transport

log = logging.getLogger(__name__)

_RECONNECT_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# A batch (a file, a simulation) must not drop: its emit() may wait this long for queue space.
BATCH_EMIT_BLOCK_MS = 120_000.0


@dataclass(frozen=True)
class Stats:
    queued: int
    sent: int
    failed: int
    dropped: int
    invalid: int
    redacted: int
    unpriced: int


class Gauge:
    """Emits agent events to Kafka.

    ``emit()`` only appends to a bounded in-memory queue: validation, pricing, redaction,
    serialisation and the Kafka client all run on the sender thread. When the queue is full the
    event is dropped and counted (after waiting at most ``emit_block_ms``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        transport_factory: Callable[[], Transport] | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self._redactor = Redactor.from_file(self.settings.redaction_file)
        self._prices = PriceTable.load(self.settings.prices_file)
        self._queue: deque[tuple[dict[str, Any], bool]] = deque()
        self._max = self.settings.queue_size
        self._block_s = self.settings.emit_block_ms / 1000
        self._factory = transport_factory or self._default_transport
        self._transport: Transport | None = None
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closing = False
        self._in_flight = 0
        self._lock = threading.Lock()
        self._sent = self._failed = self._dropped = self._invalid = self._unpriced = 0
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="agentgauge-sender", daemon=True)
        self._thread.start()
        atexit.register(self.close, 5.0)

    # -- caller side -------------------------------------------------------------------------
    def emit(self, event: dict[str, Any], *, trusted: bool = False) -> bool:
        """Queue one event. Returns False (and counts a drop) when the queue stays full."""
        if self._closing:
            self._dropped += 1
            return False
        if len(self._queue) >= self._max and (self._block_s <= 0 or not self._wait_for_space()):
            self._dropped += 1
            return False
        self._queue.append((event, trusted))
        if self._idle.is_set():
            self._wake.set()
        return True

    def _wait_for_space(self) -> bool:
        deadline = time.monotonic() + self._block_s
        while time.monotonic() < deadline:
            time.sleep(0.0005)
            if len(self._queue) < self._max:
                return True
        return False

    def stats(self) -> Stats:
        return Stats(
            queued=len(self._queue) + self._in_flight,
            sent=self._sent,
            failed=self._failed,
            dropped=self._dropped,
            invalid=self._invalid,
            redacted=self._redactor.redacted,
            unpriced=self._unpriced,
        )

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is handed to Kafka and acknowledged (or failed)."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while self._queue or not self._idle.is_set():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        transport = self._transport
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.flush(max(0.0, deadline - time.monotonic()))
        while self._in_flight > 0 and time.monotonic() < deadline:
            if transport is not None:
                with contextlib.suppress(Exception):
                    transport.poll()
            time.sleep(0.002)
        return self._in_flight == 0 and not self._queue

    def close(self, timeout: float = 10.0) -> None:
        if self._closing:
            return
        self.flush(timeout)
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=2.0)
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close(1.0)
        atexit.unregister(self.close)

    def __enter__(self) -> Gauge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def for_batch(cls, settings: Settings) -> Gauge:
        """A gauge for sending a batch that must not drop: emit() waits for queue space."""
        return cls(settings.model_copy(update={"emit_block_ms": BATCH_EMIT_BLOCK_MS}))

    def run(self, **fields: Any) -> Run:
        """A run context: ``with gauge.run(workflow=..., customer_id=..., segment=...) as run``."""
        return Run(self, **fields)

    # -- sender thread -----------------------------------------------------------------------
    def _default_transport(self) -> Transport:
        return make_transport(self.settings, self._on_delivered, self._on_failed)

    def _on_delivered(self) -> None:
        with self._lock:
            self._sent += 1
            self._in_flight -= 1

    def _on_failed(self, exc: Exception) -> None:
        with self._lock:
            self._failed += 1
            self._in_flight -= 1
        self._last_error = f"{type(exc).__name__}: {exc}"

    def _connect(self) -> Transport | None:
        attempt = 0
        while not self._closing:
            try:
                self._transport = self._factory()
                return self._transport
            except Exception as exc:
                self._last_error = f"{type(exc).__name__}: {exc}"
                delay = _RECONNECT_BACKOFF_S[min(attempt, len(_RECONNECT_BACKOFF_S) - 1)]
                log.warning("kafka unavailable (%s); retrying in %.1fs", exc, delay)
                attempt += 1
                self._wake.wait(delay)
                self._wake.clear()
        return None

    def _prepare(self, event: dict[str, Any], trusted: bool) -> tuple[bytes, bytes] | None:
        """Validate, price and redact one event: (key, value) bytes or None when invalid."""
        if self.settings.validate_events and not trusted:
            try:
                # Strict types: the validated model equals the input, so keep the input dict
                # (extras included) and only normalise ts; model_dump would cost ~2x more.
                event = {**event, "ts": format_ts(validate_event(event).ts)}
            except ContractError as exc:
                self._invalid += 1
                self._last_error = f"invalid event: {exc}"
                log.warning("dropping invalid event %s: %s", event.get("event_id"), exc)
                return None
        if event.get("event_type") == "model_call" and event.get("cost_usd") is None:
            cost = self._prices.cost(
                str(event.get("model")), event.get("input_tokens"), event.get("output_tokens")
            )
            if cost is None:
                self._unpriced += 1
            else:
                event = {**event, "cost_usd": round(cost, 8)}
                attrs = dict(event.get("attributes") or {})
                attrs["price_table_version"] = self._prices.version
                event["attributes"] = attrs
        event = self._redactor.event(event)
        return str(event.get("run_id", "")).encode(), orjson.dumps(event)

    def _drain(self) -> Iterator[tuple[dict[str, Any], bool]]:
        while self._queue:
            yield self._queue.popleft()

    def _run(self) -> None:
        topic = self.settings.topic_events
        while True:
            self._wake.wait(0.05)
            self._wake.clear()
            if not self._queue:
                if self._closing:
                    return
                if self._transport is not None:
                    with contextlib.suppress(Exception):
                        self._transport.poll()
                continue
            self._idle.clear()
            try:
                transport = self._transport or self._connect()
                if transport is None:
                    return
                for event, trusted in self._drain():
                    prepared = self._prepare(event, trusted)
                    if prepared is None:
                        continue
                    with self._lock:
                        self._in_flight += 1
                    try:
                        transport.send(topic, prepared[0], prepared[1])
                    except Exception as exc:
                        self._on_failed(exc)
            except Exception as exc:  # never let the sender thread die
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.exception("sender loop error")
            finally:
                self._idle.set()
