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

from streams.ceilings import Ceilings, RunLimits
from streams.contract import ContractError, format_ts, validate_event
from streams.controls import Breaker, Controls
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
    """Every emitted event is, at every moment, in exactly one of the five counts:
    ``emitted == queued + sent + failed + dropped + invalid``."""

    emitted: int
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
        self._redactor = Redactor.from_file(
            self.settings.redaction_file, self.settings.pseudonym_key.get_secret_value()
        )
        self._prices = PriceTable.load(self.settings.prices_file)
        self._controls: Controls | None = None
        if self.settings.controls:
            self._controls = Controls(
                self.settings.connection(),
                self.settings.topic_controls,
                fail=self.settings.controls_fail,
                max_staleness_s=self.settings.controls_max_staleness_s,
            )
        self._ceilings = (
            Ceilings.load(self.settings.ceilings_file) if self.settings.ceilings_file else None
        )
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
        self._taken = 0  # an event off the queue, not yet sent, failed or invalid
        self._entering = 0  # emitted, not yet queued or dropped (emit() waiting for space)
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)  # notified when an event leaves the queue
        self._emitted = self._sent = self._failed = self._dropped = self._invalid = 0
        self._unpriced = 0
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="agentgauge-sender", daemon=True)
        self._thread.start()
        atexit.register(self.close, 5.0)

    # -- caller side -------------------------------------------------------------------------
    def emit(self, event: dict[str, Any], *, trusted: bool = False) -> bool:
        """Queue one event. Returns False (and counts a drop) when the queue stays full for
        ``emit_block_ms`` or the gauge is closed. Never raises: what is wrong with an event is
        counted on the sender thread (``invalid``)."""
        with self._lock:
            self._emitted += 1
            if not self._closing and len(self._queue) >= self._max and self._block_s > 0:
                self._entering += 1  # counted as queued while it waits for space
                self._space.wait_for(self._has_space, self._block_s)
                self._entering -= 1
            if self._closing or len(self._queue) >= self._max:
                self._dropped += 1
                return False
            self._queue.append((event, trusted))
        if self._idle.is_set():
            self._wake.set()
        return True

    def _has_space(self) -> bool:
        return self._closing or len(self._queue) < self._max

    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                emitted=self._emitted,
                queued=len(self._queue) + self._entering + self._taken + self._in_flight,
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
        """Flush (up to ``timeout``), stop the sender and close the client. Events still queued
        then are counted as dropped; so are events still unacknowledged by Kafka."""
        if self._closing:
            return
        self.flush(timeout)
        with self._lock:
            self._closing = True
            self._space.notify_all()
        self._wake.set()
        self._thread.join(timeout=2.0)
        if self._controls is not None:
            self._controls.close()
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close(1.0)
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
            self._dropped += left + self._in_flight
            self._in_flight = 0
        atexit.unregister(self.close)

    def __enter__(self) -> Gauge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def for_batch(cls, settings: Settings) -> Gauge:
        """A gauge for sending a batch that must not drop: emit() waits for queue space. It
        sends events as they are (no runs), so it follows no breakers."""
        return cls(
            settings.model_copy(update={"emit_block_ms": BATCH_EMIT_BLOCK_MS, "controls": False})
        )

    def breakers(self) -> list[Breaker]:
        """The breakers open now, as this process knows them (empty with controls off)."""
        return [] if self._controls is None else self._controls.state.open_breakers()

    def run(self, **fields: Any) -> Run:
        """A run context: ``with gauge.run(workflow=..., customer_id=..., segment=...) as run``."""
        return Run(self, **fields)

    def run_defaults(self, workflow: str) -> RunLimits:
        """The limits of a run of ``workflow`` that sets none: from ``ceilings_file``, if any."""
        return self._ceilings.run_limits(workflow) if self._ceilings else RunLimits()

    def price(
        self, model: str, input_tokens: int | None, output_tokens: int | None
    ) -> tuple[float, str] | None:
        """(USD, price table version) of a model call, or None for a model not in the table."""
        cost = self._prices.cost(model, input_tokens, output_tokens)
        return None if cost is None else (round(cost, 8), self._prices.version)

    def check_breakers(self, run: Run, *, starting: bool = False) -> None:
        """Raise :class:`~streams.errors.BreakerOpen` when a breaker covers ``run``: on entry
        its customer, workflow, (workflow, customer) or prompt version; later its run or
        customer. A local lookup: no I/O on the caller's thread."""
        if self._controls is not None:
            self._controls.check(run, starting=starting)

    # -- sender thread -----------------------------------------------------------------------
    def _default_transport(self) -> Transport:
        return make_transport(self.settings, self._on_delivered, self._on_failed)

    def _on_delivered(self) -> None:
        with self._lock:
            if self._in_flight > 0:  # after close() counted it as dropped, a late ack is not
                self._sent += 1
                self._in_flight -= 1

    def _on_failed(self, exc: Exception) -> None:
        with self._lock:
            if self._in_flight > 0:
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
        """Validate, price and redact one event: (key, value) bytes, or None (the caller counts
        it invalid) when it breaks the contract or cannot be serialised (a set, an object, a
        cycle)."""
        try:
            return self._prepare_checked(event, trusted)
        except Exception as exc:  # never let one event stop the others; it is counted
            self._last_error = f"unsendable event: {type(exc).__name__}: {exc}"[:500]
            return None

    def _prepare_checked(self, event: Any, trusted: bool) -> tuple[bytes, bytes] | None:
        if not isinstance(event, dict):
            raise TypeError(f"an event must be a dict, got {type(event).__name__}")
        if self.settings.validate_events and not trusted:
            try:
                # Strict types: the validated model equals the input, so keep the input dict
                # (extras included) and only normalise ts; model_dump would cost ~2x more.
                event = {**event, "ts": format_ts(validate_event(event).ts)}
            except ContractError as exc:
                self._last_error = f"invalid event: {exc}"[:500]
                log.warning("dropping invalid event: %s", str(exc)[:200])
                return None
        if event.get("event_type") == "model_call" and event.get("cost_usd") is None:
            cost = self._prices.cost(
                str(event.get("model")), event.get("input_tokens"), event.get("output_tokens")
            )
            if cost is None:
                with self._lock:
                    self._unpriced += 1
            else:
                event = {**event, "cost_usd": round(cost, 8)}
                attrs = dict(event.get("attributes") or {})
                attrs["price_table_version"] = self._prices.version
                event["attributes"] = attrs
        event = self._redactor.event(event)
        return str(event.get("run_id", "")).encode(), orjson.dumps(event)

    def _drain(self) -> Iterator[tuple[dict[str, Any], bool]]:
        """Take queued events one at a time; ``_taken`` keeps the one being prepared counted
        as queued until it is sent, failed or invalid."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                item = self._queue.popleft()
                self._taken = 1
                self._space.notify()
            yield item

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
                    with self._lock:  # one step: it never counts twice, nor not at all
                        self._taken = 0
                        if prepared is not None:
                            self._in_flight += 1
                        else:
                            self._invalid += 1
                    if prepared is None:
                        continue
                    try:
                        transport.send(topic, prepared[0], prepared[1])
                    except Exception as exc:
                        self._on_failed(exc)
                # Serve delivery reports between batches too: under steady traffic the queue is
                # never empty, and librdkafka reports only from poll().
                transport.poll()
            except Exception as exc:  # never let the sender thread die
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.exception("sender loop error")
            finally:
                self._idle.set()
