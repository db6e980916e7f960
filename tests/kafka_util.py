"""Reading topics back in tests."""

from __future__ import annotations

from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition


def read_topic(bootstrap: str, topic: str, idle_ms: int = 1500) -> list[Any]:
    """Every record of a topic, from the beginning, until it stays quiet for ``idle_ms``.

    (Reported end offsets are not used: the embedded broker under-reports them, see
    streams/offsets.py.)
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    parts = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in parts]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    records = []
    while True:
        batch = consumer.poll(timeout_ms=idle_ms)
        if not batch:
            break
        for msgs in batch.values():
            records.extend(msgs)
    consumer.close()
    return records


def read_json(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_topic(bootstrap, topic)]
