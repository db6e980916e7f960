"""Windowed rules fire on simulator incidents and stay silent on clean traffic of the same size."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentgauge.simulate import INCIDENTS, SimConfig, incident_windows, simulate
from agentgauge.wiring import job_config
from jobs.runner import run_bounded
from streams.client import Gauge
from streams.pricing import PriceTable
from tests.support.kafka import isolated_settings, read_json

pytestmark = pytest.mark.flink
WINDOWED = {"retry_storm", "error_rate_spike", "latency_p95_spike", "cost_rate_spike"}
START = datetime(2026, 11, 16, tzinfo=UTC)


def _run(
    broker: Any, tmp: Path, incidents: tuple[str, ...]
) -> tuple[list[dict[str, Any]], SimConfig]:
    s = isolated_settings(
        broker, tmp / uuid.uuid4().hex[:8], transport="confluent", emit_block_ms=60_000.0
    )
    suffix = s.topic_events.rsplit("-", 1)[1]
    cfg = SimConfig(runs=3000, seed=11, start=START, days=0.25, incidents=incidents)
    with Gauge(s) as gauge:
        for e in simulate(cfg, PriceTable.load(s.prices_file)):
            gauge.emit(e)
        assert gauge.flush(120)
    run_bounded(job_config(s, group_id=f"g-{suffix}"))
    return read_json(s, s.topic_alerts), cfg


def test_windowed_rules_fire_on_incidents_only(broker: Any, tmp_path: Path) -> None:
    alerts, cfg = _run(broker, tmp_path, INCIDENTS)
    windows = incident_windows(cfg).windows
    expected = {
        "retry_storm": "retry_storm",
        "error_rate_spike": "error_spike",
        "latency_p95_spike": "latency_spike",
        "cost_rate_spike": "cost_runaway",
    }
    fired = Counter(a["rule"] for a in alerts if a["rule"] in WINDOWED)
    assert set(fired) == WINDOWED, fired
    for a in alerts:
        if a["rule"] not in WINDOWED:
            continue
        begin, end = windows[expected[a["rule"]]]
        start = datetime.fromisoformat(a["window_start"])
        # Each alert sits on its incident (its window overlaps the incident), nowhere else.
        assert start < end and start + timedelta(minutes=5) > begin, a
        assert a["workflow"] == cfg.incident_workflow
        assert a["observed"] >= a["threshold"]

    clean, _ = _run(broker, tmp_path, ())
    assert [a for a in clean if a["rule"] in WINDOWED] == []
    assert [a for a in clean if a["rule"] in {"run_cost_ceiling", "loop_detected"}] == []
