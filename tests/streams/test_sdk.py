"""The emitter SDK against the real embedded broker."""

from __future__ import annotations

import time
from collections import defaultdict

import orjson
import pytest

from agentgauge.settings import AppSettings
from streams import Gauge
from tests.support.kafka import read_topic


@pytest.mark.parametrize("transport", ["kafka-python", "confluent"])
def test_round_trip_keeps_per_run_order(settings: AppSettings, transport: str) -> None:
    s = settings.model_copy(update={"transport": transport})
    expected: dict[str, list[str]] = {}
    with Gauge(s) as gauge:
        for i in range(20):
            with gauge.run(
                workflow="wf",
                customer_id=f"c{i % 3}",
                segment="smb",
                prompt_version="p1",
                budget_usd=1.0,
            ) as run:
                for step in range(5):
                    run.model_call("gpt-4o", input_tokens=100 * step, output_tokens=10)
                    run.tool_call("search", args={"q": step})
                expected[run.run_id] = []
        assert gauge.flush(10)
        st = gauge.stats()
    assert st.sent == 20 * 12 and st.failed == 0 and st.dropped == 0 and st.invalid == 0
    records = read_topic(s, s.topic_events)
    by_run: dict[str, list[dict[str, object]]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)
    for rec in records:
        event = orjson.loads(rec.value)
        assert rec.key == str(event["run_id"]).encode()
        by_run[str(event["run_id"])].append(event)
        partitions[str(event["run_id"])].add(rec.partition)
    assert set(by_run) == set(expected)
    for run_id, events in by_run.items():
        assert len(partitions[run_id]) == 1
        types = [e["event_type"] for e in events]
        assert types[0] == "run_started" and types[-1] == "run_finished"
        assert types[1:-1] == ["model_call", "tool_call"] * 5
        assert events[-1]["status"] == "success"
        # Cost filled from the price table: 100*step input + 10 output tokens of gpt-4o.
        costs = [e["cost_usd"] for e in events if e["event_type"] == "model_call"]
        assert costs == pytest.approx([(100 * k * 2.5 + 10 * 10.0) / 1e6 for k in range(5)])
        assert all("args" not in e for e in events)
        assert all(str(e.get("args_hash", "sha256:")).startswith("sha256:") for e in events)


def test_exception_in_run_emits_error_and_failure(settings: AppSettings) -> None:
    with Gauge(settings) as gauge:
        with pytest.raises(RuntimeError), gauge.run(workflow="wf", customer_id="c", segment="s"):
            raise RuntimeError("tool exploded for bob@example.com")
        assert gauge.flush(10)
    events = [orjson.loads(r.value) for r in read_topic(settings, settings.topic_events)]
    assert [e["event_type"] for e in events] == ["run_started", "error", "run_finished"]
    assert events[1]["fatal"] is True and events[1]["code"] == "RuntimeError"
    assert events[1]["message"] == "tool exploded for [REDACTED:email]"
    assert events[2]["status"] == "failure"


def test_unknown_model_counts_a_warning_and_keeps_cost_absent(settings: AppSettings) -> None:
    with Gauge(settings) as gauge:
        with gauge.run(workflow="wf", customer_id="c", segment="s") as run:
            run.model_call("homegrown-llm-9", input_tokens=10, output_tokens=10)
        assert gauge.flush(10)
        assert gauge.stats().unpriced == 1
    events = [orjson.loads(r.value) for r in read_topic(settings, settings.topic_events)]
    call = next(e for e in events if e["event_type"] == "model_call")
    assert "cost_usd" not in call


def test_invalid_event_is_counted_not_sent(settings: AppSettings) -> None:
    with Gauge(settings) as gauge:
        assert gauge.emit({"event_type": "model_call", "run_id": "r"})
        assert gauge.flush(10)
        st = gauge.stats()
    assert st.invalid == 1 and st.sent == 0
    assert "event_id" in (gauge.last_error or "")


def test_emit_never_blocks_and_counts_drops_while_broker_is_down(settings: AppSettings) -> None:
    from tests.support.kafka import free_port

    dead = settings.model_copy(
        update={"bootstrap_servers": f"127.0.0.1:{free_port()}", "queue_size": 1000}
    )
    gauge = Gauge(dead)
    run = {
        "event_id": "x",
        "schema_version": "1.0",
        "event_type": "decision",
        "ts": "2026-11-16T09:30:00Z",
        "trace_id": "0" * 32,
        "run_id": "r",
        "workflow": "w",
        "customer_id": "c",
        "segment": "s",
    }
    worst = 0.0
    t0 = time.perf_counter()
    for i in range(5000):
        t = time.perf_counter()
        gauge.emit({**run, "event_id": str(i)})
        worst = max(worst, time.perf_counter() - t)
    elapsed = time.perf_counter() - t0
    st = gauge.stats()
    assert st.dropped >= 4000 - 1  # only the queue bound (1000) is kept
    assert st.queued <= 1000 + 1
    assert st.sent == 0
    assert worst < 0.05, f"emit() blocked for {worst * 1000:.1f} ms"
    assert elapsed < 2.0
    t = time.perf_counter()
    assert gauge.flush(timeout=0.5) is False
    gauge.close(timeout=0.5)
    assert time.perf_counter() - t < 6.0
