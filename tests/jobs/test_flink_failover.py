"""A failure inside the running job (not a `jobs start`): the runner restarts it from its last
checkpoint with the replay guard, so no alert id is written twice, and `jobs status` reports
the restart, the failure's exception and where it was thrown."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentgauge.local.job import LocalJob
from agentgauge.wiring import job_config
from tests.support.flink import Scenario
from tests.support.kafka import isolated_settings, produce, read_json, wait_until

pytestmark = pytest.mark.flink


def _send(s: Any, events: list[dict[str, Any]]) -> None:
    keys: list[bytes | None] = [e["run_id"].encode() for e in events]
    produce(s, s.topic_events, [json.dumps(e).encode() for e in events], keys)


def test_failover_inside_a_running_job_writes_no_alert_twice(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    sc = Scenario()
    day1 = [  # 2026-11-16: 20 runs cross their ceiling; alerts go out before the fault
        sc.event(f"run-{i:02d}", "model_call", model="gpt-4o", cost_usd=1.5, minutes=i)
        for i in range(20)
    ]
    # A real fault: the lake's folder for the next day is a file, so the lake sink fails there.
    cfg = job_config(
        s, checkpoint_interval_s=60.0, restart_attempts=3, restart_delay_s=1.0, group_id="fo"
    )
    blocked = cfg.lake_path / "dt=2026-11-17"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")
    job = LocalJob(s)
    job.start(cfg)
    try:
        _send(s, day1)
        wait_until(lambda: len(read_json(s, s.topic_alerts)) >= 20, 120, "the first 20 alerts")
        later = [
            sc.event(f"late-{i}", "model_call", model="gpt-4o", cost_usd=1.5, minutes=24 * 60 + i)
            for i in range(5)
        ]
        _send(s, later)  # fails the job; no checkpoint yet: the restart replays everything

        def restarted() -> bool:
            state = json.loads(job.state_file.read_text())
            return bool(state.get("restarts"))

        wait_until(restarted, 120, "the runner to restart the failed job")
        blocked.unlink()  # the fault goes away; the restarted job gets through
        wait_until(
            lambda: (
                {a["run_id"] for a in read_json(s, s.topic_alerts)}
                >= {e["run_id"] for e in day1 + later}
            ),
            180,
            "every breaching run's alert",
        )
        status = wait_until(
            lambda: (st := job.status(cfg)).state == "RUNNING" and st.lag == 0 and st,
            120,
            "the restarted job to catch up",
        )
    finally:
        job.stop()
    alerts = read_json(s, s.topic_alerts)
    ids = Counter(a["alert_id"] for a in alerts)
    assert max(ids.values()) == 1, ids.most_common(3)  # the replayed alerts were not re-sent
    runs = Counter(a["run_id"] for a in alerts if a["rule"] == "run_cost_ceiling")
    assert runs == Counter({e["run_id"]: 1 for e in day1 + later})
    # cust-a spent $30 in the first hour: one customer alert, also not re-sent
    rules = [a["rule"] for a in alerts if a["rule"] not in ("run_cost_ceiling", "breaker_opened")]
    assert rules == ["customer_spend_ceiling"]
    # Each breaker the job opened (one per alert above) is recorded once too.
    breakers = Counter(
        (a["scope"], a["scope_key"]) for a in alerts if a["rule"] == "breaker_opened"
    )
    assert len(breakers) == len(alerts) - len(breakers) and max(breakers.values()) == 1
    assert status.restarts_10m >= 1 and status.last_failure is not None
    assert status.last_failure["exception"] != "unknown"
    assert status.last_failure["operator"] != "unknown"


def test_a_restart_loop_is_unhealthy(broker: Any, tmp_path: Path) -> None:
    """3 restarts within 10 minutes (restart_attempts): `jobs status` names the loop."""
    s = isolated_settings(broker, tmp_path / "var")
    cfg = job_config(s, restart_attempts=3)
    job = LocalJob(s)
    job.dir.mkdir(parents=True)
    now = datetime.now(UTC)
    failure = {"exception": "java.io.IOException", "message": "disk", "operator": "Sink.write"}
    restarts = [{"at": (now - timedelta(minutes=m)).isoformat(), **failure} for m in (30, 5, 3, 1)]
    job.state_file.write_text(json.dumps({"status": "RUNNING", "restarts": restarts}))
    st = job.status(cfg)
    assert st.restarts_10m == 3 and not st.healthy
    assert st.problem is not None and "restart loop" in st.problem
    assert st.last_failure == restarts[-1]
