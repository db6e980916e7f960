"""Kill the streaming job mid-stream and restart it: no duplicate alert, no missed breach, and the
lake holds exactly the unique valid events."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pyflink.table import EnvironmentSettings, TableEnvironment

from agentgauge.local.broker import EmbeddedBroker
from agentgauge.local.job import JobError, LocalJob
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from jobs.checkpoints import (
    FRESH_START_FILE,
    LAYOUT_FILE,
    STATE_LAYOUT,
    StateLayoutError,
    check_layout,
    latest_restore_point,
    mark_layout,
    restore_points,
)
from jobs.config import JobConfig
from jobs.positions import committed_offsets
from jobs.runner import prepare_streaming
from streams.topics import create_topics
from tests.support.flink import Scenario, lake_lines
from tests.support.kafka import free_port, isolated_settings, produce, read_json, wait_until

pytestmark = pytest.mark.flink


def _send(s: AppSettings, events: list[dict[str, Any]]) -> None:
    keys: list[bytes | None] = [e["run_id"].encode() for e in events]
    produce(s, s.topic_events, [json.dumps(e).encode() for e in events], keys)


def _wait_for(s: AppSettings, run_ids: set[str], timeout: float) -> list[dict[str, Any]]:
    """The alerts on the topic once every run of ``run_ids`` has one (fails after timeout)."""

    def alerted() -> list[dict[str, Any]] | None:
        # The rules' alerts (the breaker_opened records of the breakers they open aside).
        alerts = [a for a in read_json(s, s.topic_alerts) if a["rule"] != "breaker_opened"]
        return alerts if run_ids <= {a["run_id"] for a in alerts} else None

    return list(wait_until(alerted, timeout, what=f"alerts for {len(run_ids)} runs"))


def _new_checkpoint(cfg: JobConfig, after: float) -> bool:
    return any((p / "_metadata").stat().st_mtime > after for p in restore_points(cfg))


def test_kill_and_restart(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    suffix = s.topic_events.rsplit("-", 1)[1]
    sc = Scenario()
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    for i in range(40):
        run = f"run-{i:02d}"
        calls = [sc.event(run, "run_started", minutes=i)]
        calls += [
            sc.event(run, "model_call", model="gpt-4o", cost_usd=0.45, minutes=i + k)
            for k in range(3)
        ]
        # Runs 0-19 cross in the first half; 20-39 are split across the kill.
        (first if i < 20 else second).extend(calls if i < 20 else calls[2:])
        if i >= 20:
            first.extend(calls[:2])
    ok_runs = [sc.event(f"ok-{i}", "model_call", model="gpt-4o", cost_usd=0.1) for i in range(10)]
    first += ok_runs[:5]
    second += ok_runs[5:] + [dict(e) for e in first[:15]]  # re-sent duplicates

    job = LocalJob(s)
    cfg = job_config(s, checkpoint_interval_s=2.0, group_id=f"g-{suffix}")
    job.start(cfg)
    try:
        _send(s, first)
        before = _wait_for(s, {f"run-{i:02d}" for i in range(20)}, timeout=120)
        assert len({a["run_id"] for a in before if a["rule"] == "run_cost_ceiling"}) == 20
        # A checkpoint that holds the first half, then die mid-stream.
        t = time.time()
        wait_until(lambda: _new_checkpoint(cfg, t), timeout=60, what="a checkpoint")
        _send(s, second[: len(second) // 2])
        job.kill()
        assert job.pid() is None
        _send(s, second[len(second) // 2 :])
        job.start(cfg)
        state = json.loads(job.state_file.read_text())
        assert state["restored_from"], "the restart must resume from a checkpoint"
        _wait_for(s, {f"run-{i:02d}" for i in range(40)}, timeout=120)
        # Every event processed and committed: a replayed alert would be on the topic by now.
        wait_until(lambda: job.status(cfg).lag == 0, timeout=120, what="lag 0")
    finally:
        job.stop()
    alerts = read_json(s, s.topic_alerts)
    ids = Counter(a["alert_id"] for a in alerts)
    assert max(ids.values()) == 1, "an alert was sent twice"
    cost = Counter(a["run_id"] for a in alerts if a["rule"] == "run_cost_ceiling")
    assert cost == Counter({f"run-{i:02d}": 1 for i in range(40)})
    lake = lake_lines(cfg.lake_path)
    assert sorted(e["event_id"] for e in lake) == sorted(e["event_id"] for e in sc.events)


def _checkpoint_of_another_job(checkpoints: Path) -> None:
    """A retained checkpoint whose operators are not the agentgauge job's (an older version)."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    c = t_env.get_config()
    c.set("execution.checkpointing.interval", "500 ms")
    c.set("execution.checkpointing.dir", checkpoints.resolve().as_uri())
    c.set("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    t_env.execute_sql(
        "CREATE TABLE gen (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10',"
        " 'fields.k.min' = '1', 'fields.k.max' = '5')"
    )
    t_env.execute_sql("CREATE TABLE counts (k INT, n BIGINT) WITH ('connector' = 'blackhole')")
    client = t_env.execute_sql("INSERT INTO counts SELECT k, COUNT(*) FROM gen GROUP BY k")
    wait_until(lambda: list(checkpoints.glob("*/chk-*/_metadata")), timeout=60, what="a checkpoint")
    job = client.get_job_client()
    assert job is not None
    job.cancel().result()
    assert list(checkpoints.glob("*/chk-*/_metadata"))


def test_start_on_state_of_another_job_version_names_the_way_out(
    broker: Any, tmp_path: Path
) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    _checkpoint_of_another_job(tmp_path / "var" / "checkpoints")
    job = LocalJob(s)
    with pytest.raises(JobError, match=r"does not fit this version of the job.*--fresh"):
        job.start(job_config(s))
    assert job.start(job_config(s, resume=False))  # --fresh: runs, from empty state
    assert job.status(job_config(s)).state == "RUNNING"
    assert job.stop()
    # The savepoint of that stop is this version's own: the next start resumes from it.
    assert job.start(job_config(s))
    restored = json.loads(job.state_file.read_text())["restored_from"]
    assert "savepoints" in restored and (Path(restored) / LAYOUT_FILE).is_file()
    assert job.stop()


def test_saved_state_of_another_state_layout_names_the_way_out(tmp_path: Path) -> None:
    s = AppSettings(bootstrap_servers="127.0.0.1:1", var_dir=tmp_path)
    point = tmp_path / "checkpoints" / "0123abcd" / "chk-7"
    point.mkdir(parents=True)
    (point / "_metadata").write_bytes(b"x")
    (point.parent / LAYOUT_FILE).write_text("7\n")  # written by a version with another layout
    with pytest.raises(
        StateLayoutError, match=rf"layout 7, this version's is {STATE_LAYOUT}\).*--fresh"
    ):
        prepare_streaming(job_config(s))
    mark_layout(point.parent)
    check_layout(point)  # checkpoints of this version restore
    (point.parent / LAYOUT_FILE).unlink()  # saved before layouts were recorded: layout 1
    with pytest.raises(StateLayoutError, match=rf"layout 1, this version's is {STATE_LAYOUT}\)"):
        check_layout(point)


def test_fresh_start_ignores_saved_state(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path)
    point = tmp_path / "checkpoints" / "0123abcd" / "chk-7"
    point.mkdir(parents=True)
    (point / "_metadata").write_bytes(b"x")
    fresh = prepare_streaming(job_config(s, resume=False))
    assert fresh.restore_from is None and fresh.replay_filter == "TRUE"
    assert job_config(s).resume  # by default a start resumes (covered end to end above)
    # State saved before the fresh start is not the fresh job's past: later starts skip it...
    assert latest_restore_point(job_config(s)) is None
    assert prepare_streaming(job_config(s)).restore_from is None
    # ...and resume from what the fresh job saves.
    later = tmp_path / "savepoints" / "savepoint-0123ab-456"
    later.mkdir(parents=True)
    (later / "_metadata").write_bytes(b"x")
    marked = (tmp_path / "checkpoints" / FRESH_START_FILE).stat().st_mtime
    os.utime(later / "_metadata", (marked + 1, marked + 1))  # coarse file clocks: a tick later
    assert latest_restore_point(job_config(s)) == later


def test_saved_positions_beyond_a_recreated_topic_name_the_way_out(tmp_path: Path) -> None:
    """The embedded broker keeps topics in memory: after its restart the saved read positions lie
    beyond the new topic's end. A resume would skip the new events; it stops and names --fresh,
    which reads the new topic from its start."""
    broker = EmbeddedBroker(tmp_path / "broker", free_port())
    broker.start()
    s = AppSettings(bootstrap_servers=f"127.0.0.1:{broker.port}", var_dir=tmp_path / "var")
    cfg = job_config(s, checkpoint_interval_s=1.0)
    job = LocalJob(s)
    sc = Scenario()
    try:
        create_topics(s)
        job.start(cfg)
        _send(
            s, [sc.event(f"old-{i}", "model_call", model="gpt-4o", cost_usd=0.1) for i in range(30)]
        )
        wait_until(
            lambda: (
                sum(committed_offsets(s.connection(), cfg.group_id, s.topic_events).values()) >= 30
            ),
            timeout=120,
            what="the job to commit the first 30 events",
        )
        assert job.stop()
        broker.stop()
        broker.start()  # every topic is gone
        create_topics(s)
        _send(s, [sc.event("new-run", "model_call", model="gpt-4o", cost_usd=1.5)])

        with pytest.raises(JobError, match=r"beyond the end of agent-events .*--fresh"):
            job.start(cfg)
        status = job.status(cfg)
        assert not status.healthy and status.problem and "--fresh" in status.problem

        job.start(job_config(s, checkpoint_interval_s=1.0, resume=False))
        alerts = _wait_for(s, {"new-run"}, timeout=120)
        assert [a["run_id"] for a in alerts] == ["new-run"]
        # Caught up, once its offsets are committed.
        status = wait_until(
            lambda: (st := job.status(cfg)).healthy and st.lag == 0 and st,
            timeout=60,
            what="a healthy job with lag 0",
        )
        assert status.problem is None
    finally:
        job.stop()
        broker.stop()
