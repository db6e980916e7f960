"""The job on a real standalone Flink cluster (`agentgauge cluster up`): one JobManager and two
TaskManagers, separate JVM processes, the job submitted through `flink run` and its Python entry
point (`jobs start --cluster`) at parallelism 4, against the embedded broker.

- its outputs equal the MiniCluster's (a bounded reference run) on the same input: every alert,
  the DLQ and the lake;
- a TaskManager killed with ``kill -9`` mid-stream: the runner restarts the job from its
  checkpoint on the slots left, with no alert lost or written twice, and an exact lake.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from jobs.standalone import StandaloneCluster
from tests.support import faults
from tests.support.flink import lake_lines
from tests.support.kafka import isolated_settings, produce, read_json, wait_until
from tests.support.reference import (
    Stream,
    compare,
    late_events,
    reference,
    stream_records,
)

pytestmark = pytest.mark.flink

RUNS = 1200  # simulated runs: ~8k events with incidents of every rule, duplicates, bad records


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """`agentgauge cluster up --taskmanagers 2` (2 slots each), shared by the module's tests."""
    directory = tmp_path_factory.mktemp("cluster") / "flink-cluster"
    done = _cli(directory, "cluster", "up", "--taskmanagers", "2", "--slots", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    standalone = StandaloneCluster(directory)
    try:
        yield standalone
    finally:
        _cli(directory, "cluster", "down")
        assert not standalone.taskmanager_pids() and not standalone.jobmanager_pids()


def _settings(broker: Any, tmp_path: Path, cluster: StandaloneCluster) -> AppSettings:
    """A var dir and topics of the test's own, on the module's cluster."""
    return isolated_settings(broker, tmp_path / "var", cluster_dir=cluster.dir)


def _cli(
    cluster_dir: Path, *args: str, s: AppSettings | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTGAUGE_CLUSTER_DIR": str(cluster_dir)}
    if s is not None:
        env.update(
            AGENTGAUGE_VAR_DIR=str(s.var_dir),
            AGENTGAUGE_BOOTSTRAP_SERVERS=s.bootstrap_servers,
            AGENTGAUGE_TOPIC_EVENTS=s.topic_events,
            AGENTGAUGE_TOPIC_ALERTS=s.topic_alerts,
            AGENTGAUGE_TOPIC_DLQ=s.topic_dlq,
            AGENTGAUGE_TOPIC_CONTROLS=s.topic_controls,
        )
    agentgauge = Path(sys.executable).parent / "agentgauge"
    return subprocess.run(
        [str(agentgauge), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _rest_address(cluster: StandaloneCluster) -> str:
    state = cluster.state()
    assert state is not None
    return state.rest_address


def _outputs(s: AppSettings, lake: Path) -> tuple[list[dict[str, Any]], Counter[str], Counter[Any]]:
    alerts = read_json(s, s.topic_alerts)
    events = Counter(e["event_id"] for e in lake_lines(lake))
    dlq = Counter((d["kafka_partition"], d["kafka_offset"]) for d in read_json(s, s.topic_dlq))
    return alerts, events, dlq


def test_the_job_on_two_taskmanagers_equals_the_minicluster(
    broker: Any, tmp_path: Path, cluster: StandaloneCluster
) -> None:
    s = _settings(broker, tmp_path, cluster)
    records, unique_valid, invalid = stream_records(s, runs=RUNS)
    produce(s, s.topic_events, [v for _k, v in records], [k for k, _v in records])
    ref, ref_cfg = reference(s, tmp_path)
    ref_alerts, ref_lake, _ = _outputs(ref, ref_cfg.lake_path)

    started = _cli(cluster.dir, "jobs", "start", "--cluster", "--parallelism", "4", s=s)
    assert started.returncode == 0, started.stdout + started.stderr
    job = LocalJob(s)
    cfg = job.started_config()
    assert cfg is not None and cfg.cluster == _rest_address(cluster)
    try:
        status = _cli(cluster.dir, "cluster", "status", "--format", "json")
        view = json.loads(status.stdout)
        assert view["taskmanagers"] == 2 and view["slots_total"] == 4, view
        assert view["slots_available"] == 0 and view["jobs_running"] == 1, view  # p=4: all slots
        assert len(view["taskmanager_pids"]) == 2

        def caught_up() -> bool:
            have = {a["alert_id"] for a in read_json(s, s.topic_alerts)}
            late = late_events(cfg, ref_cfg)
            return (
                job.status(cfg).lag == 0
                and compare(
                    [a for a in ref_alerts if a["alert_id"] in have], ref_alerts, late
                ).missing
                == set()
            )

        wait_until(caught_up, timeout=300, what="the cluster job to catch up with the reference")
        probe = json.loads(_cli(cluster.dir, "jobs", "status", "--format", "json", s=s).stdout)
        assert probe["state"] == "RUNNING" and probe["healthy"], probe
        assert probe["cluster"] == cfg.cluster and probe["parallelism"] == 4, probe
    finally:
        stopped = _cli(cluster.dir, "jobs", "stop", s=s)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    state = json.loads(job.state_file.read_text())
    assert state["status"] == "STOPPED" and not state["restarts"], state
    assert list((s.checkpoint_dir.parent / "savepoints").glob("*/_metadata")), "no savepoint"

    alerts, lake, dlq = _outputs(s, cfg.lake_path)
    cmp = compare(alerts, ref_alerts, late_events(cfg, ref_cfg))
    assert max(cmp.ids.values()) == 1, "an alert id is on the topic twice"
    assert not cmp.unexplained and not cmp.missing, (cmp.unexplained, cmp.missing)
    assert len(cmp.differ) <= 4, cmp.differ
    same = {i for i in cmp.ids if i in cmp.expected}
    by_id = {a["alert_id"]: a for a in alerts}
    ref_by_id = {a["alert_id"]: a for a in ref_alerts}
    # The same alerts carry the same content (breaker ends are the wall clock's, not the data's).
    fields = ("rule", "run_id", "customer_id", "workflow", "severity", "window_start")
    assert all(
        {f: by_id[i].get(f) for f in fields} == {f: ref_by_id[i].get(f) for f in fields}
        for i in same
        if by_id[i]["rule"] not in ("breaker_opened", "breaker_released")
    )
    assert {"run_cost_ceiling", "loop_detected", "breaker_opened"} <= {a["rule"] for a in alerts}
    assert lake == ref_lake and len(lake) == unique_valid and max(lake.values()) == 1
    assert len(dlq) == invalid and max(dlq.values()) == 1


def test_a_taskmanager_killed_mid_stream_loses_and_duplicates_nothing(
    broker: Any, tmp_path: Path, cluster: StandaloneCluster
) -> None:
    assert len(cluster.taskmanager_pids()) == 2
    s = _settings(broker, tmp_path, cluster)
    records, unique_valid, invalid = stream_records(s, runs=RUNS)
    cfg = job_config(
        s,
        cluster=_rest_address(cluster),
        parallelism=4,
        checkpoint_interval_s=3.0,
        restart_delay_s=8.0,  # past the ~4 s in which the cluster drops a TaskManager that is gone
        group_id=f"g-{s.topic_events[-8:]}",
    )
    job = LocalJob(s)
    job.start(cfg)
    stream = Stream(s, records, seconds=60.0)
    stream.start()
    try:
        # Mid-stream: after a completed checkpoint and the first alerts.
        wait_until(
            lambda: (
                list(cfg.checkpoint_dir.glob("*/chk-*/_metadata")) and read_json(s, s.topic_alerts)
            ),
            timeout=180,
            what="a checkpoint and the first alerts",
        )
        victim = cluster.taskmanager_pids()[0]
        sent_at_kill = stream.sent
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()

        def restarted() -> dict[str, Any] | None:
            state = json.loads(job.state_file.read_text())
            return state if state.get("restarts") and state.get("status") == "RUNNING" else None

        state = wait_until(restarted, timeout=180, what="the runner to restart the job")
        recovered_s = time.monotonic() - killed_at
        assert state["restored_from"], state  # from its checkpoint, not from scratch
        assert state["parallelism"] == 2, state  # on the two slots left
        failure = state["restarts"][-1]
        stream.join(timeout=300)
        assert stream.error is None and stream.sent == len(records)
        wait_until(lambda: job.status(cfg).lag == 0, timeout=300, what="the job's lag 0")
        ref, ref_cfg = reference(s, tmp_path)
        ref_alerts, ref_lake, _ = _outputs(ref, ref_cfg.lake_path)

        def caught_up() -> bool:
            have = {a["alert_id"] for a in read_json(s, s.topic_alerts)}
            late = late_events(cfg, ref_cfg)
            return not compare(
                [a for a in ref_alerts if a["alert_id"] in have], ref_alerts, late
            ).missing

        wait_until(caught_up, timeout=240, what="the reference's alerts")
    finally:
        job.stop()
    alerts, lake, dlq = _outputs(s, cfg.lake_path)
    cmp = compare(alerts, ref_alerts, late_events(cfg, ref_cfg))
    faults.record(
        test="cluster: TaskManager kill -9",
        trials=1,
        kills=1,
        **{
            "events in": len(records),
            "events out": sum(lake.values()),
            "alerts expected": len(cmp.expected),
            "alerts delivered": f"{len(cmp.ids)} on topic",
            "duplicated": sum(n - 1 for n in cmp.ids.values()),
            "lost": len(cmp.missing) + max(unique_valid - len(lake), 0),
        },
    )
    print(
        f"killed TaskManager {victim} after {sent_at_kill} of {len(records)} records; the job"
        f" ran again {recovered_s:.1f} s later at parallelism {state['parallelism']} from"
        f" {state['restored_from']}; failure: {failure['exception']}: {failure['message'][:200]}"
    )
    assert max(cmp.ids.values()) == 1, "an alert id is on the topic twice"
    assert not cmp.unexplained and not cmp.missing, (cmp.unexplained, cmp.missing)
    assert len(cmp.differ) <= 4, cmp.differ
    assert lake == ref_lake and len(lake) == unique_valid and max(lake.values()) == 1
    assert len(dlq) == invalid and max(dlq.values()) == 1
    # `cluster up` starts the TaskManager that was lost.
    assert len(cluster.taskmanager_pids()) == 1
    assert _cli(cluster.dir, "cluster", "up", "--taskmanagers", "2").returncode == 0
    assert len(cluster.taskmanager_pids()) == 2
