"""Keep a restart from sending an alert twice.

The Kafka sink is at-least-once (the embedded broker's transactions are not dependable), so a
restart from a checkpoint replays the events after it and would re-raise the alerts they caused.
Those alerts are already on the topic: before the job starts, we read the ids of alerts detected
since the restore point (minus a margin) and render them as a NOT IN filter. alert_id is
deterministic, so the replayed alert has exactly the id we filter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
from kafka import TopicPartition

from jobs.sql_render import sql_str
from streams.kafka import Connection

_ALERT_ID = re.compile(r"^[0-9a-f]{32}$")
MARGIN = timedelta(minutes=5)


def alert_ids_since(conn: Connection, topic: str, since: datetime) -> set[str]:
    consumer = conn.consumer()
    ids: set[str] = set()
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not tps:
            return ids
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
                        alert_id = orjson.loads(rec.value).get("alert_id")
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(alert_id, str) and _ALERT_ID.match(alert_id):
                        ids.add(alert_id)
    finally:
        consumer.close()
    return ids


def replay_filter(ids: set[str]) -> str:
    if not ids:
        return "TRUE"
    return "alert_id NOT IN (" + ", ".join(sql_str(i) for i in sorted(ids)) + ")"


def guard_since(restore_point_mtime: float) -> datetime:
    return datetime.fromtimestamp(restore_point_mtime, UTC) - MARGIN
