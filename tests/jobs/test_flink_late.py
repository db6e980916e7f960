"""An event far behind the watermark still lands in the lake and counts for its run's rules,
and it is counted as late for the windowed rules (`jobs status`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentgauge.local.job import LocalJob
from agentgauge.wiring import job_config
from streams.lake import committed_files
from tests.support.flink import Scenario, lake_lines
from tests.support.kafka import isolated_settings, produce, read_json, wait_until

pytestmark = pytest.mark.flink


def test_late_events_land_alert_and_are_counted(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    cfg = job_config(s, checkpoint_interval_s=1.0, group_id="late")
    sc = Scenario()
    on_time = [
        sc.event(f"run-{i}", "model_call", model="gpt-4o", cost_usd=0.1, minutes=120 + i)
        for i in range(30)
    ]
    # Two hours behind: its run crosses the $1.00 ceiling with it.
    late = [
        sc.event("run-late", "model_call", model="gpt-4o", cost_usd=0.6, minutes=0),
        sc.event("run-late", "model_call", model="gpt-4o", cost_usd=0.6, minutes=1),
    ]
    job = LocalJob(s)
    job.start(cfg)
    try:
        # Keyed by run: spread over every partition, so the watermark is defined at once.
        keys: list[bytes | None] = [e["run_id"].encode() for e in on_time]
        produce(s, s.topic_events, [json.dumps(e).encode() for e in on_time], keys)
        wait_until(lambda: len(lake_lines(cfg.lake_path)) == 30, 120, "the on-time events")
        produce(s, s.topic_events, [json.dumps(e).encode() for e in late], [b"run-late"] * 2)
        status = wait_until(
            lambda: (st := job.status(cfg)).late_events == 2 and st, 120, "2 late events"
        )
        lake_ids = {e["event_id"] for e in lake_lines(cfg.lake_path)}
        alerts = read_json(s, s.topic_alerts)
    finally:
        job.stop()
    assert {e["event_id"] for e in late} <= lake_ids  # landed all the same
    assert [a["run_id"] for a in alerts if a["rule"] == "run_cost_ceiling"] == ["run-late"]
    late_root = Path(cfg.late_location())
    records = [
        json.loads(x) for f in committed_files(late_root) for x in f.read_text().splitlines()
    ]
    assert sorted(r["event_id"] for r in records) == sorted(e["event_id"] for e in late)
    assert status.late_events == 2
