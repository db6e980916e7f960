"""The windowed rules at both densities and both levels, through a real bounded Flink run.

A sparse workflow (about 5 runs/hour for 26 hours) and a dense one (600 runs/hour for its last
3 hours) share the stream. Four incidents carry enough evidence and must page exactly once per
rule, window and level of cause, naming that level; a fifth (two slow runs) carries too little
and must not page; nothing else may.
"""

from __future__ import annotations

import heapq
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentgauge.simulate import Incident, SimConfig, traffic
from agentgauge.wiring import job_config
from jobs.runner import run_bounded
from streams.ceilings import Ceilings
from streams.client import Gauge
from streams.pricing import PriceTable
from tests.support.kafka import isolated_settings, read_json

pytestmark = pytest.mark.flink
START = datetime(2026, 11, 16, tzinfo=UTC)
WINDOWED = {"retry_storm", "error_rate_spike", "latency_p95_spike", "cost_rate_spike"}
SPARSE, DENSE = "kyc_review", "doc_qa"


def _at(hours: float, minutes: float = 0) -> datetime:
    return START + timedelta(hours=hours, minutes=minutes)


def _incident(kind: str, at: datetime, wf: str, segment: str | None, burst: int) -> Incident:
    return Incident(kind, at, at + timedelta(minutes=10), wf, segment, burst)


# (incident, the alert it must raise as (rule, level, segment), or None when it must not page)
CASES: list[tuple[Incident, tuple[str, str, str | None] | None]] = [
    (
        _incident("latency_spike", _at(24, 5), SPARSE, None, 12),
        ("latency_p95_spike", "workflow", None),
    ),
    (
        _incident("error_spike", _at(25, 5), SPARSE, "enterprise", 24),
        ("error_rate_spike", "segment", "enterprise"),
    ),
    (_incident("latency_spike", _at(24, 40), SPARSE, None, 2), None),
    (
        _incident("error_spike", _at(24, 30), DENSE, "smb", 0),
        ("error_rate_spike", "segment", "smb"),
    ),
    (
        _incident("latency_spike", _at(25, 30), DENSE, None, 0),
        ("latency_p95_spike", "workflow", None),
    ),
]


def _events(prices: PriceTable) -> list[dict[str, Any]]:
    scheduled = tuple(inc for inc, _ in CASES)
    sparse = SimConfig(seed=5, start=START, days=26 / 24, scheduled=scheduled)
    dense = SimConfig(seed=6, start=_at(23), days=3 / 24, scheduled=scheduled)
    return list(
        heapq.merge(
            traffic({SPARSE: 5.0}, sparse, prices),
            traffic({DENSE: 600.0}, dense, prices),
            key=lambda e: e["ts"],
        )
    )


def test_windowed_rules_at_both_densities_and_levels(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(
        broker, tmp_path / uuid.uuid4().hex[:8], transport="confluent", emit_block_ms=60_000.0
    )
    events = _events(PriceTable.load(s.prices_file))
    with Gauge(s) as gauge:
        for e in events:
            gauge.emit(e)
        assert gauge.flush(120)
    run_bounded(job_config(s, group_id=f"g-{uuid.uuid4().hex[:8]}"))
    alerts = [a for a in read_json(s, s.topic_alerts) if a["rule"] in WINDOWED]
    windows = Ceilings.load().windows

    def overlaps(a: dict[str, Any], inc: Incident) -> bool:
        begin = datetime.fromisoformat(a["window_start"])
        end = datetime.fromisoformat(a["window_end"])
        return a["workflow"] == inc.workflow and begin < inc.end and end > inc.start

    for inc, expected in CASES:
        mine = [a for a in alerts if overlaps(a, inc)]
        if expected is None:
            assert mine == [], (inc, mine)
            continue
        assert {(a["rule"], a["level"], a.get("segment")) for a in mine} == {expected}, (inc, mine)
    # Nothing pages outside the incidents.
    assert [a for a in alerts if not any(overlaps(a, inc) for inc, _ in CASES)] == []
    # One page per rule, workflow and window: never the workflow and a segment together.
    per_window = Counter((a["rule"], a["workflow"], a["window_start"], a["level"]) for a in alerts)
    levels = Counter((rule, wf, start) for rule, wf, start, _ in per_window)
    assert max(levels.values()) == 1, per_window
    assert len({a["alert_id"] for a in alerts}) == len(alerts)
    # Every alert carries its evidence.
    for a in alerts:
        assert a["observed"] >= a["threshold"] > 0 and a["baseline"] > 0, a
        assert 0 < a["p_value"] <= windows.max_p_value, a
        assert a["window_volume"] > 0 and a["baseline_volume"] >= windows.min_baseline_volume, a
        assert a["baseline_hours"] == windows.baseline_hours
