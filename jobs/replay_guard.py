"""Keep a restart from sending an alert, or a dead letter, twice.

The Kafka sink is at-least-once (the embedded broker's transactions are not dependable), so a
restart from a checkpoint replays the events after it and would re-raise the alerts they caused.
Those alerts are already on the topic: before the job starts, we read the ids of alerts detected
since the restore point (minus a margin) and render them as a NOT IN filter. alert_id is
deterministic, so the replayed alert has exactly the id we filter. Dead letters are keyed the
same way by where they came from: source partition, offset and the payload's SHA-256.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from kafka import TopicPartition

from jobs.sql_render import sql_str
from streams.kafka import Connection

_ALERT_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MARGIN = timedelta(minutes=5)


def _records_since(conn: Connection, topic: str, since: datetime) -> Iterator[dict[str, Any]]:
    """The JSON objects written to ``topic`` since ``since`` (by record timestamp)."""
    consumer = conn.consumer()
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not tps:
            return
        start = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        consumer.assign(tps)
        for tp in tps:
            found = start.get(tp)
            if found is None:
                consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, found.offset)
        while batch := consumer.poll(timeout_ms=500):
            for records in batch.values():
                for rec in records:
                    try:
                        value = orjson.loads(rec.value)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(value, dict):
                        yield value
    finally:
        consumer.close()


def alert_ids_since(conn: Connection, topic: str, since: datetime) -> set[str]:
    ids: set[str] = set()
    for alert in _records_since(conn, topic, since):
        alert_id = alert.get("alert_id")
        if isinstance(alert_id, str) and _ALERT_ID.match(alert_id):
            ids.add(alert_id)
    return ids


def dead_letter_keys_since(
    conn: Connection, topic: str, since: datetime, from_offsets: dict[int, int] | None = None
) -> set[str]:
    """``partition:offset:sha256`` of the job's dead letters written since ``since`` whose
    source offset is at or past ``from_offsets`` (a start that reads from there can only
    replay those)."""
    keys: set[str] = set()
    for d in _records_since(conn, topic, since):
        part, offset, sha = d.get("kafka_partition"), d.get("kafka_offset"), d.get("payload_sha256")
        if d.get("source") != "flink" or not isinstance(part, int) or not isinstance(offset, int):
            continue
        if not isinstance(sha, str) or not _SHA256.match(sha):
            continue
        if from_offsets is None or offset >= from_offsets.get(part, 0):
            keys.add(f"{part}:{offset}:{sha}")
    return keys


def dead_letter_filter(keys: set[str]) -> str:
    if not keys:
        return "TRUE"
    key = "CONCAT(CAST(kafka_partition AS STRING), ':', CAST(kafka_offset AS STRING), ':', sha)"
    return key + " NOT IN (" + ", ".join(sql_str(k) for k in sorted(keys)) + ")"


def replay_filter(ids: set[str]) -> str:
    if not ids:
        return "TRUE"
    return "alert_id NOT IN (" + ", ".join(sql_str(i) for i in sorted(ids)) + ")"


def guard_since(restore_point_mtime: float) -> datetime:
    return datetime.fromtimestamp(restore_point_mtime, UTC) - MARGIN
