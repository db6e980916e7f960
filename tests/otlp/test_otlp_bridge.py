"""``agentgauge otlp bridge`` as its own process: the TracesData records a Collector's Kafka
exporter writes (``otlp_proto``) become events; an undecodable record is dead-lettered; offsets
are committed, so a second run reads nothing again. And through the job: a trace whose cost
crosses its ceiling raises ``run_cost_ceiling`` once, its re-exported events land once."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentgauge.wiring import job_config
from jobs.runner import run_bounded
from streams.lake import committed_files
from streams.topics import create_topics
from tests.support.flink import lake_lines
from tests.support.kafka import isolated_settings, produce, read_json
from tests.support.otel import agentgauge, encode, env_for, tracer


def _expensive_trace(customer: str) -> tuple[Any, str]:
    """A run of four model calls at $0.40 each: the default ceiling ($1.00) is crossed."""
    t, cap = tracer({"service.name": "doc_qa", "agentgauge.customer_id": customer})
    with t.start_as_current_span("invoke_agent") as root:
        for _ in range(4):
            with t.start_as_current_span("chat") as s:
                s.set_attribute("gen_ai.operation.name", "chat")
                s.set_attribute("gen_ai.request.model", "gpt-4o")
                s.set_attribute("gen_ai.usage.input_tokens", 5000)
                s.set_attribute("gen_ai.usage.cost", 0.40)
    return cap, format(root.get_span_context().trace_id, "032x")


def _bridge(s: Any, topic: str, group: str) -> str:
    proc = subprocess.run(
        agentgauge("otlp", "bridge", "--topic", topic, "--group", group, "--stop-when-idle", "3"),
        env=env_for(s),
        capture_output=True,
        timeout=120,
    )
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, out
    return out


@pytest.mark.flink
def test_bridge_maps_collector_records_and_the_job_halts_the_costly_run(
    broker: Any, tmp_path: Path
) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    topic = f"otlp_spans-{uuid.uuid4().hex[:8]}"
    create_topics(s.model_copy(update={"topic_events": topic}))
    costly, costly_trace = _expensive_trace("cust-big")
    cheap, _ = _expensive_trace("cust-small")
    # A Collector batch holds any spans; here the costly trace comes in two records (children,
    # then the root), and is exported twice (a retry after a timeout).
    records = [
        encode(costly.spans[:2]),
        encode(costly.spans[2:]),
        encode(costly.spans),
        encode(cheap.spans[:1]),  # one call of $0.40: under the ceiling
        b"\x0a\xff\xff not TracesData",
    ]
    produce(s, topic, records)
    group = f"bridge-{uuid.uuid4().hex[:6]}"
    out = _bridge(s, topic, group)
    assert "records 5 (undecodable 1), spans 11, events 13, rejected spans 0" in out, out
    events = read_json(s, s.topic_events)
    assert len(events) == 13 and len({e["event_id"] for e in events}) == 7
    # The cheap trace's one span is a child whose root never came: the customer comes from its
    # resource, so it maps (no hold in the bridge).
    assert Counter(e["event_type"] for e in events) == {
        "model_call": 9,
        "run_started": 2,
        "run_finished": 2,
    }
    letters = read_json(s, s.topic_dlq)
    assert [(d["source"], d["reason"][:26]) for d in letters] == [
        ("otlp", "not a protobuf TracesData:")
    ]
    assert re.search(r"\(record \d+:\d+\)$", letters[0]["reason"])  # partition:offset
    # Committed: a second run of the same group reads nothing again.
    assert "records 0" in _bridge(s, topic, group)

    cfg = job_config(s, group_id=f"g-{uuid.uuid4().hex[:6]}")
    run_bounded(cfg)
    alerts = read_json(s, s.topic_alerts)
    ceiling = [a for a in alerts if a["rule"] == "run_cost_ceiling"]
    assert [(a["run_id"], a["customer_id"]) for a in ceiling] == [(costly_trace, "cust-big")]
    assert ceiling[0]["observed"] == pytest.approx(1.20)  # the third call crosses $1.00
    assert committed_files(cfg.lake_path)
    lake = lake_lines(cfg.lake_path)
    assert sorted(e["event_id"] for e in lake) == sorted({e["event_id"] for e in events})
