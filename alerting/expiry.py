"""Breakers end when their ``until`` passes; this says so on the record. Run by the alert router:
it follows the control topic, and for each breaker whose ``until`` has passed it writes the
``released`` control record and a ``breaker_released`` alert (actor ``agentgauge-expiry``).

Every gauge already treats an expired breaker as closed; the release makes the expiry visible
to on-call and the warehouse, as every other open and release is. The alert id depends only on
the breaker that expired, so two routers write the same record (and the router and the
warehouse keep one).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import orjson
from kafka import KafkaProducer

from streams.controls import (
    BreakerState,
    assign_from_start,
    breaker_alert,
    control_key,
    released_record,
)
from streams.kafka import Connection

log = logging.getLogger(__name__)
ACTOR = "agentgauge-expiry"


class ExpiryKeeper(threading.Thread):
    def __init__(
        self, connection: Connection, controls_topic: str, alerts_topic: str, stop: threading.Event
    ) -> None:
        super().__init__(name="agentgauge-breaker-expiry", daemon=True)
        self.connection = connection
        self.controls_topic = controls_topic
        self.alerts_topic = alerts_topic
        self.stop = stop
        self.released = 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._follow()
            except Exception as exc:  # the control topic is unreachable: try again
                log.debug("breaker expiry: %s; retrying", exc)
                self.stop.wait(2.0)

    def _follow(self) -> None:
        consumer = self.connection.consumer(client_id="agentgauge-expiry")
        producer = self.connection.producer(acks="all", linger_ms=0)
        try:
            assign_from_start(consumer, self.controls_topic)
            state = BreakerState()
            while not self.stop.is_set():
                for records in consumer.poll(timeout_ms=500).values():
                    for r in records:
                        state.apply(r.value)
                self._expire(state, producer)
        finally:
            with contextlib.suppress(Exception):
                producer.close(5)
            with contextlib.suppress(Exception):
                consumer.close()

    def _expire(self, state: BreakerState, producer: KafkaProducer) -> None:
        for b in state.expired(time.time()):
            # The id follows the breaker that expired (its opened_at), not the moment it was
            # seen to: every router writes the same record.
            alert = breaker_alert(
                "breaker_released",
                b.scope,
                b.key,
                f"expired (opened: {b.reason})",
                ACTOR,
                b.opened_at,
                None,
            )
            alert["window_start"] = b.until
            producer.send(
                self.controls_topic,
                key=control_key(b.scope, b.key),
                value=released_record(b.scope, b.key, "expired", ACTOR),
            )
            producer.send(
                self.alerts_topic, key=alert["alert_id"].encode(), value=orjson.dumps(alert)
            )
            producer.flush(10)
            state.forget(b.scope, b.key)
            self.released += 1
