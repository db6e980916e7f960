"""End offsets that hold on the embedded broker too.

Tansu answers ListOffsets(latest) with the base offset of a partition's last record batch, not
the offset after its last record, so a batch's worth of records lies beyond the reported end.
We read from the reported end to the true one; on a real Kafka cluster that reads nothing.
"""

from __future__ import annotations

import contextlib

from kafka import TopicPartition

from streams.kafka import Connection

_MAX_POLLS = 8


def true_end_offsets(conn: Connection, topic: str, poll_ms: int = 300) -> dict[int, int]:
    """partition -> offset after the last record, for every partition of ``topic`` (under
    steady production, at least the end when it was called: a few records later, at most)."""
    consumer = conn.consumer(client_id=f"{conn.client_id}-offsets")
    try:
        parts = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in parts]
        reported = consumer.end_offsets(tps)
        ends = {tp.partition: int(off) for tp, off in reported.items()}
        if not tps:
            return ends
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, reported[tp])
        # What lies beyond the reported end is at most one batch per partition: a few polls
        # read it. A bound on them, because under steady production every poll returns
        # records and "until a poll is empty" never comes (the end moves on meanwhile anyway).
        for _ in range(_MAX_POLLS):
            batch = consumer.poll(timeout_ms=poll_ms)
            if not batch:
                break
            for tp, records in batch.items():
                if records:
                    ends[tp.partition] = max(ends[tp.partition], records[-1].offset + 1)
        return ends
    finally:
        with contextlib.suppress(Exception):
            consumer.close()


def bounded_offsets_option(ends: dict[int, int]) -> str:
    """Flink's scan.bounded.specific-offsets value."""
    return ";".join(f"partition:{p},offset:{o}" for p, o in sorted(ends.items()))


def committed_offsets(conn: Connection, group: str, topic: str) -> dict[int, int]:
    """partition -> the group's committed offset on ``topic`` (partitions it never committed
    are left out)."""
    admin = conn.admin()
    try:
        committed = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {
        tp.partition: int(om.offset)
        for tp, om in committed.items()
        if tp.topic == topic and om.offset >= 0
    }


def beyond_end(committed: dict[int, int], ends: dict[int, int]) -> dict[int, tuple[int, int]]:
    """partition -> (committed, end) where the committed offset lies past the topic's end."""
    return {p: (o, ends.get(p, 0)) for p, o in sorted(committed.items()) if o > ends.get(p, 0)}
