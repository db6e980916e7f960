"""State sized to its purpose: event ids are remembered for the dedup horizon, a run's state
expires run_idle_s after its last event, and the RocksDB backend runs the same job. A streaming
job on the real broker, with horizons of seconds."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentgauge.local.job import LocalJob
from agentgauge.wiring import job_config
from jobs.config import JobConfig
from tests.support.flink import Scenario, lake_lines
from tests.support.kafka import isolated_settings, produce, read_json, wait_until

pytestmark = pytest.mark.flink


def _send(s: Any, events: list[dict[str, Any]]) -> None:
    produce(
        s,
        s.topic_events,
        [json.dumps(e).encode() for e in events],
        [e["run_id"].encode() for e in events],
    )


def _lake_ids(cfg: JobConfig) -> Counter[str]:
    return Counter(e["event_id"] for e in lake_lines(cfg.lake_path))


def _keep_alive(s: Any, sc: Scenario, run: str, seconds: float) -> list[dict[str, Any]]:
    """Let ``seconds`` of processing time pass (the horizons are processing time) while ``run``
    keeps sending events (one per poll), so its state never idles out."""
    sent: list[dict[str, Any]] = []
    until = time.monotonic() + seconds

    def tick() -> bool:
        sent.append(sc.event(run, "decision"))
        _send(s, sent[-1:])
        return time.monotonic() >= until

    wait_until(tick, timeout=seconds + 30, what=f"{seconds:g} s of a live run")
    return sent


@pytest.mark.parametrize("backend", ["hashmap", "rocksdb"])
def test_ids_are_kept_for_the_horizon_and_idle_runs_expire(
    broker: Any, tmp_path: Path, backend: str
) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    sc = Scenario()
    horizon = 4.0
    # Before the horizon passes: a re-sent event is a duplicate; two halves of a cost cross.
    early = sc.event("dup", "run_started")
    kept = sc.event("kept", "model_call", model="gpt-4o", cost_usd=0.6)
    first = [early, kept, dict(early), sc.event("both", "model_call", model="gpt-4o", cost_usd=0.6)]
    first.append(sc.event("both", "model_call", model="gpt-4o", cost_usd=0.6))
    idle = sc.event("idle", "model_call", model="gpt-4o", cost_usd=0.6)
    first.append(idle)
    cfg = job_config(
        s,
        checkpoint_interval_s=1.0,
        dedup_horizon_s=horizon,
        run_idle_s=horizon,
        state_backend=backend,
        group_id=f"g-{backend}-{s.topic_events[-8:]}",
    )
    job = LocalJob(s)
    job.start(cfg)
    try:
        _send(s, first)
        wait_until(
            lambda: len(_lake_ids(cfg)) == 5, timeout=120, what="the first events in the lake"
        )
        live = _keep_alive(s, sc, "live", 2.5 * horizon)
        # After it: the same event lands again (it is older than the horizon), and the idle
        # run's totals start afresh: its second $0.60 does not cross the $1.00 ceiling. In the
        # run kept alive, its first event is past the horizon (lands again), its last is not.
        late_idle = sc.event("idle", "model_call", model="gpt-4o", cost_usd=0.6)
        _send(s, [dict(early), late_idle, dict(live[0]), dict(live[-1])])
        wait_until(lambda: _lake_ids(cfg)[live[0]["event_id"]] == 2, timeout=120, what="re-sent")
        wait_until(lambda: _lake_ids(cfg)[early["event_id"]] == 2, timeout=60, what="re-sent")
        wait_until(lambda: late_idle["event_id"] in _lake_ids(cfg), timeout=60, what="late event")
        # A checkpoint after the last event: the job read it, and any alert it raised is out.
        wait_until(lambda: job.status(cfg).lag == 0, timeout=60, what="lag 0")
    finally:
        job.stop()
    lake = _lake_ids(cfg)
    assert lake[early["event_id"]] == 2 and lake[kept["event_id"]] == 1
    assert lake[live[0]["event_id"]] == 2 and lake[live[-1]["event_id"]] == 1
    assert sum(lake.values()) == 5 + len(live) + 3
    alerts = [a for a in read_json(s, s.topic_alerts) if a["rule"] == "run_cost_ceiling"]
    assert [a["run_id"] for a in alerts] == ["both"]


def test_horizons_that_do_not_fit_are_named(tmp_path: Path) -> None:
    from agentgauge.settings import AppSettings

    s = AppSettings(bootstrap_servers="127.0.0.1:1", var_dir=tmp_path)
    with pytest.raises(ValueError, match=r"run_idle_s \(60\) is shorter than dedup_horizon_s"):
        job_config(s, run_idle_s=60, dedup_horizon_s=3600)
    with pytest.raises(ValueError, match=r"state_ttl_hours \(2\) is shorter than .*baseline_hours"):
        job_config(s, state_ttl_hours=2)
    assert job_config(s).keyed_state_ttl_hours() == 25.0
