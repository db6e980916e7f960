"""Where the job stands in the events topic: its committed offsets against the topic's end.

A job that resumes saved state resumes its read positions too. If the topic was recreated since
(the embedded broker keeps topics in memory, so every broker restart does that), those positions
lie beyond the new topic's end: the job would wait there, skipping every event below them,
while looking idle and current. Kafka resets such a consumer to the start of the partition
(OFFSET_OUT_OF_RANGE + ``auto.offset.reset``); the embedded broker never answers out of range.
"""

from __future__ import annotations

import contextlib

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from streams.kafka import Connection
from streams.offsets import beyond_end, committed_offsets, true_end_offsets

__all__ = [
    "beyond_end",
    "committed_offsets",
    "describe_beyond_end",
    "positions_beyond_end",
    "reset_to_start",
]


def describe_beyond_end(topic: str, past: dict[int, tuple[int, int]]) -> str:
    where = ", ".join(f"partition {p}: {o} > {e}" for p, (o, e) in past.items())
    return (
        f"the job's read positions lie beyond the end of {topic} ({where}): the topic was"
        " recreated since they were saved (every restart of the embedded broker, which keeps"
        " topics in memory only, does that), and events below those offsets would be skipped."
        " `agentgauge jobs stop` if it runs, then `agentgauge jobs start --fresh` reads the"
        " topic from its start"
    )


def reset_to_start(conn: Connection, group: str, topic: str) -> None:
    """Commit the start of every partition of ``topic`` for ``group`` (what Kafka's
    ``auto.offset.reset=earliest`` does for positions it reports out of range)."""
    consumer = conn.consumer(group_id=group)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        starts = consumer.beginning_offsets(tps)
        consumer.commit({tp: OffsetAndMetadata(int(o), "", -1) for tp, o in starts.items()})
    finally:
        with contextlib.suppress(Exception):
            consumer.close()


def positions_beyond_end(conn: Connection, group: str, topic: str) -> dict[int, tuple[int, int]]:
    return beyond_end(committed_offsets(conn, group, topic), true_end_offsets(conn, topic))
