"""``agentgauge otlp bridge``: the at-scale path. A fleet of OpenTelemetry Collectors writes
spans to Kafka (the ``kafka`` exporter, ``encoding: otlp_proto``: one ``TracesData`` per
record); the bridge maps them as the receiver does and sends the events to ``agent-events``.

At least once: a batch's offsets are committed only after every event and dead letter of it
was acknowledged, so a killed bridge re-reads the batch, and the job de-duplicates the
re-sent events (their ids are deterministic). The bridge decides every span at once (no hold):
group a trace's spans in the Collector (``groupbytrace``) or set identity on the resource.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kafka.errors import CommitFailedError

from streams.otlp.mapping import MappingConfig, events_bound
from streams.otlp.sink import OtlpSink
from streams.otlp.spans import OtlpDecodeError, decode_protobuf
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BridgeReport:
    records: int = 0
    undecodable: int = 0
    spans: int = 0
    events: int = 0
    rejected: int = 0
    commits: int = 0


def run_bridge(
    settings: Settings,
    topic: str,
    group: str,
    mapping: MappingConfig,
    *,
    stop: threading.Event | None = None,
    stop_when_idle_s: float | None = None,
    max_records: int = 500,
) -> BridgeReport:
    stop = stop or threading.Event()
    report = BridgeReport()
    sink = OtlpSink(settings, MappingConfig(**{**mapping.__dict__, "hold_s": 0.0}))
    conn = sink.settings.connection()
    consumer = conn.consumer(
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id=f"{conn.client_id}-otlp-bridge",
    )
    consumer.subscribe([topic])
    idle_since = time.monotonic()
    try:
        while not stop.is_set():
            batch = consumer.poll(timeout_ms=500, max_records=max_records)
            if not batch:
                if not consumer.assignment():  # still joining the group: not idle yet
                    idle_since = time.monotonic()
                idle = time.monotonic() - idle_since
                if stop_when_idle_s is not None and idle >= stop_when_idle_s:
                    break
                continue
            for records in batch.values():
                for record in records:
                    report.records += 1
                    value = record.value or b""
                    try:
                        spans = decode_protobuf(value, message="traces")
                    except OtlpDecodeError as exc:
                        report.undecodable += 1
                        sink.dead_letter_raw(
                            value, f"{exc} (record {record.partition}:{record.offset})"
                        )
                        continue
                    bound = sum(events_bound(s) for s in spans)
                    while not sink.has_room(bound) and not stop.is_set():
                        sink.flush(5.0)  # wait for the queue to drain, never drop
                    if stop.is_set():
                        return report  # not committed: read again on the next start
                    done = sink.submit(spans)
                    report.spans += done.spans
                    report.events += done.events
                    report.rejected += done.rejected
            # Commit only what Kafka acknowledged. Otherwise read the batch again from the last
            # commit: its events are re-sent with the same ids (the job de-duplicates them).
            if sink.flush(60.0):
                try:
                    consumer.commit()
                    report.commits += 1
                except CommitFailedError as exc:  # a rebalance took the partitions meanwhile
                    log.warning("otlp bridge: commit refused (%s); the new owner re-reads", exc)
            else:
                log.warning("otlp bridge: the batch was not acknowledged; reading it again")
                for tp in consumer.assignment():
                    committed = consumer.committed(tp)
                    if committed is None:
                        consumer.seek_to_beginning(tp)
                    else:
                        consumer.seek(tp, committed)
            idle_since = time.monotonic()
    finally:
        consumer.close()
        sink.close()
    return report
