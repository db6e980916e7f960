"""Kafka producer transports. Clients are created lazily, on the sender thread.

Delivery results come back through typed callbacks, as in quix-streams' producer wrapper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from streams.kafka import Connection
from streams.settings import Settings

log = logging.getLogger(__name__)

OnDelivered = Callable[[], None]
OnFailed = Callable[[Exception], None]


class Transport(Protocol):
    def send(self, topic: str, key: bytes, value: bytes) -> None: ...
    def poll(self) -> None: ...
    def flush(self, timeout: float) -> int: ...
    def close(self, timeout: float) -> None: ...


class KafkaPythonTransport:
    """kafka-python producer: acks=all, idempotent where the broker supports it."""

    def __init__(self, conn: Connection, on_delivered: OnDelivered, on_failed: OnFailed) -> None:
        from kafka.errors import KafkaError, KafkaTimeoutError

        opts: dict[str, Any] = {
            "acks": "all",
            "linger_ms": 5,
            "batch_size": 256 * 1024,
            "max_block_ms": 5000,
            "retries": 5,
        }
        try:
            self._producer = conn.producer(enable_idempotence=True, **opts)
        except KafkaTimeoutError:  # no broker answers the bootstrap: the sender retries
            raise
        except KafkaError as exc:  # brokers without InitProducerId: fall back, still acks=all
            log.warning("idempotent producer unavailable (%s); using acks=all without it", exc)
            self._producer = conn.producer(**opts)
        self._ok = on_delivered
        self._fail = on_failed

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        future = self._producer.send(topic, key=key, value=value)
        future.add_callback(lambda _md: self._ok())
        future.add_errback(self._fail)

    def poll(self) -> None:
        return None

    def flush(self, timeout: float) -> int:
        self._producer.flush(timeout=timeout)
        return 0

    def close(self, timeout: float) -> None:
        self._producer.close(timeout=timeout)


class ConfluentTransport:
    """confluent-kafka (librdkafka) producer for volume: the `volume` extra."""

    def __init__(self, conn: Connection, on_delivered: OnDelivered, on_failed: OnFailed) -> None:
        from confluent_kafka import KafkaException

        self._producer = conn.confluent_producer(
            **{
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "queue.buffering.max.messages": 1_000_000,
                "logger": logging.getLogger("librdkafka"),  # not raw lines on stderr
            }
        )
        self._exc = KafkaException
        self._ok = on_delivered
        self._fail = on_failed

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is None:
            self._ok()
        else:
            self._fail(self._exc(err))

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=self._on_delivery)
                return
            except BufferError:  # librdkafka's local queue is full: serve callbacks, retry
                self._producer.poll(0.05)

    def poll(self) -> None:
        self._producer.poll(0)

    def flush(self, timeout: float) -> int:
        return int(self._producer.flush(timeout))

    def close(self, timeout: float) -> None:
        self._producer.flush(timeout)
        del self._producer  # destroys the librdkafka handle and its threads


def make_transport(settings: Settings, on_delivered: OnDelivered, on_failed: OnFailed) -> Transport:
    conn = settings.connection()
    if settings.transport == "confluent":
        return ConfluentTransport(conn, on_delivered, on_failed)
    return KafkaPythonTransport(conn, on_delivered, on_failed)
