"""Reading topics back in tests."""

from __future__ import annotations

from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition


def read_topic(bootstrap: str, topic: str, timeout_ms: int = 4000) -> list[Any]:
    """Every record of a topic, from the beginning, as consumer records."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
        auto_offset_reset="earliest",
    )
    parts = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in parts]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    records = []
    remaining = {tp: off for tp, off in end.items() if off > 0}
    while remaining:
        batch = consumer.poll(timeout_ms=timeout_ms)
        if not batch:
            break
        for tp, msgs in batch.items():
            records.extend(msgs)
            if msgs and msgs[-1].offset + 1 >= end[tp]:
                remaining.pop(tp, None)
    consumer.close()
    return records


def read_json(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_topic(bootstrap, topic)]
