"""Flink job throughput against passthrough SQL jobs over the same topic, and alert latency.

Baselines, all parallelism 2 on the same topic: the raw passthrough (the ratio's 1.0), the JSON
passthrough, the verified stack's keyed window, and de-duplication by event_id alone (the job's
first stateful stage, for scale).

Run: ``PATH=.venv/bin:$PATH python -m bench.bench_job [--events N]``. Figures are printed, not
asserted. Each job runs bounded at N and at 2N events of the same topic, after a warm-up run: the
steady rate is N / (t(2N) - t(N)), which cancels start-up (MiniCluster, planning, JIT warm-up),
so it compares what a long-running job sustains.

Then the alert latency of the streaming job, and the state at steady state: the job streams at
``--state-rate`` events/s with its run horizons at ``--state-horizon`` seconds, for three
horizons, and the newest checkpoint's bytes per event held (one horizon of events) are printed
for both state backends, with what that makes at 1k events/s and the default 1 h horizons.
``--state-only`` runs just that.

``--cluster``: the whole job on a standalone Flink cluster (2 TaskManagers x 2 slots, started
for the run) at parallelism 1, 2 and 4, beside the MiniCluster at the same parallelism.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from kafka import TopicPartition
from pyflink.common import Configuration
from pyflink.table import EnvironmentSettings, TableEnvironment

import sql
from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings as Settings
from agentgauge.simulate import SimConfig, simulate
from agentgauge.wiring import job_config
from bench.common import bench_broker, print_table
from jobs.config import JobConfig
from jobs.flink_rest import TERMINAL, FlinkRest
from jobs.pipeline import build
from jobs.plan import execute
from jobs.runner import submit
from jobs.sql_render import anomaly_config, sql_str, with_options
from jobs.standalone import StandaloneCluster
from jobs.udf import udf_jar
from streams.ceilings import Ceilings
from streams.client import Gauge
from streams.offsets import bounded_offsets_option, true_end_offsets
from streams.pricing import PriceTable
from streams.topics import create_topics


def fill(
    s: Settings, n: int, seed: int = 3, start: datetime = datetime(2026, 11, 2, tzinfo=UTC)
) -> int:
    prices = PriceTable.load(s.prices_file)
    events = simulate(SimConfig(runs=n // 7 + 1, seed=seed, days=7, start=start), prices)
    with Gauge(
        s.model_copy(
            update={"transport": "confluent", "emit_block_ms": 600_000.0, "validate_events": False}
        )
    ) as g:
        for e in events[:n]:
            g.emit(e)
        g.flush(600)
        return g.stats().sent


# The contract's top-level fields, for the passthrough that parses JSON (what the Flink JSON
# format costs per event, next to the raw read).
JSON_COLUMNS = (
    "schema_version STRING, event_id STRING, event_type STRING, ts STRING, trace_id STRING, "
    "run_id STRING, workflow STRING, customer_id STRING, segment STRING, `model` STRING, "
    "tool STRING, status STRING, args_hash STRING, cost_usd DOUBLE, budget_usd DOUBLE, "
    "max_tool_calls BIGINT, latency_ms DOUBLE, input_tokens BIGINT, output_tokens BIGINT"
)


# The verified stack's "keyed window" job: the same JSON read, a 10-second event-time tumbling
# window keyed by workflow and segment (count, cost), as one shuffle and one keyed state access.
WINDOW_SQL = (
    "INSERT INTO sink SELECT workflow, segment, window_end, COUNT(*), SUM(cost_usd) "
    "FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(kafka_ts), INTERVAL '10' SECOND)) "
    "GROUP BY workflow, segment, window_start, window_end"
)
WINDOW_SINK = "workflow STRING, segment STRING, w_end TIMESTAMP(3), n BIGINT, cost DOUBLE"
# The job's first stateful stage alone: the same JSON read, de-duplicated by event_id (Flink's
# keep-first deduplication, one keyed state access per event, state TTL 24 h as the job's).
DEDUP_SQL = (
    "INSERT INTO sink SELECT {columns} FROM (SELECT *, ROW_NUMBER() OVER "
    "(PARTITION BY event_id ORDER BY pt) AS rn FROM src) WHERE rn = 1"
)
# The windowed rules alone: the same JSON read, event time from `ts`, the job's own
# AG_WINDOW_STATS (5-minute tumble per workflow) and AG_WINDOW_BASELINE (pooled 24 h history per
# workflow and segment), the alerts counted into the sink: what the rules cost by themselves.
RULES_SQL = (
    "INSERT INTO sink SELECT workflow, window_end, CARDINALITY(verdicts) FROM ("
    " SELECT workflow, window_end, AG_WINDOW_BASELINE(stats, window_start, window_end, {config})"
    " OVER (PARTITION BY workflow ORDER BY window_time"
    " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS verdicts FROM ("
    " SELECT workflow, window_start, window_end, window_time,"
    " AG_WINDOW_STATS(segment, event_type, latency_ms, cost_usd, event_time, {max_segments})"
    " AS stats"
    " FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(event_time), INTERVAL '{minutes}' MINUTE))"
    " GROUP BY workflow, window_start, window_end, window_time))"
)
RULES_SINK = "workflow STRING, w_end TIMESTAMP_LTZ(3), alerts INT"
EXTRA_COLUMNS = {
    "window": ", kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,"
    " WATERMARK FOR kafka_ts AS kafka_ts - INTERVAL '1' SECOND",
    "dedup": ", pt AS PROCTIME()",
    "rules": ", event_time AS CAST(TO_TIMESTAMP(REPLACE(REPLACE(ts, 'T', ' '), 'Z', ''))"
    " AS TIMESTAMP_LTZ(3)), WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND",
}


Baseline = Literal["raw", "json", "window", "dedup", "rules"]


def baseline(s: Settings, topic: str, until: dict[int, int], kind: Baseline) -> float:
    """A plain Flink SQL job over the topic: ``raw``/``json`` passthrough, ``window``, ``dedup``,
    ``rules`` (the windowed rules alone)."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    if kind == "rules":
        t_env.get_config().set("pipeline.jars", udf_jar().resolve().as_uri())
        for name in ("00_function_window_stats", "00_function_window_baseline"):
            t_env.execute_sql(sql.load("flink", name))
    t_env.get_config().set("parallelism.default", "2")
    t_env.get_config().set("table.local-time-zone", "UTC")
    t_env.get_config().set("table.exec.state.ttl", "24 h")
    src = {
        "connector": "kafka",
        "topic": topic,
        "properties.bootstrap.servers": s.bootstrap_servers,
        "properties.group.id": f"pt-{uuid.uuid4().hex[:6]}",
        "scan.startup.mode": "earliest-offset",
        "scan.bounded.mode": "specific-offsets",
        "scan.bounded.specific-offsets": bounded_offsets_option(until),
        "format": "raw" if kind == "raw" else "json",
    }
    if kind != "raw":
        src["json.ignore-parse-errors"] = "true"
    columns = "payload STRING" if kind == "raw" else JSON_COLUMNS
    source_columns = columns + EXTRA_COLUMNS.get(kind, "")
    t_env.execute_sql(f"CREATE TABLE src ({source_columns}) WITH ({with_options(src)})")
    sink_columns = {"window": WINDOW_SINK, "rules": RULES_SINK}.get(kind, columns)
    t_env.execute_sql(f"CREATE TABLE sink ({sink_columns}) WITH ('connector' = 'blackhole')")
    names = ", ".join(c.split()[0] for c in columns.split(", "))  # `model` keeps its quotes
    ceilings = Ceilings.load()
    rules = RULES_SQL.format(
        config=sql_str(anomaly_config(ceilings)),
        max_segments=ceilings.windows.max_segments,
        minutes=ceilings.windows.size_minutes,
    )
    queries = {"window": WINDOW_SQL, "dedup": DEDUP_SQL.format(columns=names), "rules": rules}
    query = queries.get(kind, "INSERT INTO sink SELECT * FROM src")
    t = time.perf_counter()
    t_env.execute_sql(query).wait()
    return time.perf_counter() - t


def bounded_config(s: Settings, tmp: Path, until: dict[int, int], **overrides: Any) -> JobConfig:
    """The whole job's configuration, bounded at ``until``, with a group and paths of its own."""
    run = uuid.uuid4().hex[:6]
    return job_config(
        s,
        group_id=f"b-{run}",
        lake_path=tmp / run / "lake",
        checkpoint_dir=tmp / run / "ckpt",
        checkpoint_interval_s=10.0,
        bounded=True,
        bounded_offsets=bounded_offsets_option(until),
        **overrides,
    )


def full(s: Settings, tmp: Path, until: dict[int, int], parallelism: int = 2) -> float:
    """The whole job in this process's MiniCluster, bounded at ``until`` (what ``run_bounded``
    does, at a chosen end)."""
    config = bounded_config(s, tmp, until, parallelism=parallelism)
    t = time.perf_counter()
    submit(config).wait()
    return time.perf_counter() - t


def on_cluster(s: Settings, tmp: Path, until: dict[int, int], rest: str, parallelism: int) -> float:
    """The whole job, bounded at ``until``, submitted to the standalone cluster at ``rest``
    (its tasks in the TaskManagers' JVMs, exchanging data over the network stack)."""
    config = bounded_config(s, tmp, until, parallelism=parallelism, cluster=rest)
    host, _, port = rest.partition(":")
    conf = Configuration()
    conf.set_string("execution.target", "remote")
    conf.set_string("rest.address", host)
    conf.set_string("rest.port", port)
    t_env = TableEnvironment.create(
        EnvironmentSettings.new_instance().in_streaming_mode().with_configuration(conf).build()
    )
    t = time.perf_counter()
    client = execute(t_env, build(t_env, config), config).get_job_client()
    assert client is not None
    # Polled over REST: the client's own wait for the result once failed with
    # FlinkJobNotFoundException for a job that had finished.
    job_id, api = str(client.get_job_id()), FlinkRest(rest)
    while (state := api.state(job_id)) not in TERMINAL:
        time.sleep(0.2)
    if state != "FINISHED":
        raise RuntimeError(f"cluster job {job_id} ended {state}: {api.root_exception(job_id)}")
    return time.perf_counter() - t


def print_cluster(s: Settings, tmp: Path, events: int) -> None:
    """The job on a standalone cluster (2 TaskManagers x 2 slots) at parallelism 1, 2 and 4,
    beside the MiniCluster at the same parallelism, over the same topic, steady rates as above."""
    n = fill(s, events)
    half = true_end_offsets(s.connection(), s.topic_events)
    n2 = n + fill(s, events, seed=4, start=datetime(2026, 11, 9, tzinfo=UTC))
    end = true_end_offsets(s.connection(), s.topic_events)
    cluster = StandaloneCluster(tmp / "flink-cluster")
    state = cluster.up(taskmanagers=2, slots_per_taskmanager=2)
    rows = []
    try:
        for p in (1, 2, 4):
            mini = [full(s, tmp, u, p) for u in (half, half, end)][1:]
            remote = [on_cluster(s, tmp, u, state.rest_address, p) for u in (half, half, end)][1:]
            mini_rate = (n2 - n) / (mini[1] - mini[0])
            remote_rate = (n2 - n) / (remote[1] - remote[0])
            rows.append(
                [
                    str(p),
                    f"{mini_rate:,.0f}",
                    f"{remote_rate:,.0f}",
                    f"{remote_rate / mini_rate:.2f}x",
                    f"{remote[0]:.1f} / {remote[1]:.1f}",
                ]
            )
    finally:
        cluster.down()
    print_table(
        f"The job on a standalone cluster (2 TaskManagers x 2 slots, one 2-core host) vs the"
        f" MiniCluster, same topic, same run: {n:,} and {n2:,} events",
        [
            "parallelism",
            "MiniCluster events/s",
            "cluster events/s",
            "cluster / MiniCluster",
            f"cluster wall s ({n:,} / {n2:,})",
        ],
        rows,
    )


def alert_latency(s: Settings, tmp: Path, runs: int) -> list[float]:
    """Streaming: produce a run's crossing event, time until its alert is readable."""
    s = s.model_copy(
        update={
            "topic_events": "lat-events",
            "topic_alerts": "lat-alerts",
            "topic_dlq": "lat-dlq",
            "var_dir": tmp / "stream",
        }
    )
    create_topics(s)
    job = LocalJob(s)
    job.start(job_config(s, checkpoint_interval_s=5.0, group_id="lat"))
    received: dict[str, float] = {}
    stop = threading.Event()

    def consume() -> None:
        c = s.connection().consumer()
        tps = [TopicPartition(s.topic_alerts, p) for p in c.partitions_for_topic(s.topic_alerts)]
        c.assign(tps)
        c.seek_to_end(*tps)
        while not stop.is_set():
            for recs in c.poll(timeout_ms=20).values():
                for r in recs:
                    received.setdefault(orjson.loads(r.value).get("run_id"), time.perf_counter())
        c.close()

    th = threading.Thread(target=consume, daemon=True)
    th.start()
    time.sleep(3)
    p = s.connection().producer(linger_ms=0, acks=1)
    sent: dict[str, float] = {}
    for i in range(runs):
        run = f"lat-{i}"
        base = {
            "schema_version": "1.0",
            "trace_id": "0" * 31 + "1",
            "run_id": run,
            "workflow": "bench",
            "customer_id": f"c{i}",
            "segment": "smb",
            "ts": datetime.now(UTC).isoformat(),
        }
        p.send(
            s.topic_events,
            key=run.encode(),
            value=orjson.dumps(
                {**base, "event_id": f"{run}-1", "event_type": "run_started", "budget_usd": 0.5}
            ),
        )
        p.flush()
        sent[run] = time.perf_counter()
        p.send(
            s.topic_events,
            key=run.encode(),
            value=orjson.dumps(
                {
                    **base,
                    "event_id": f"{run}-2",
                    "event_type": "model_call",
                    "model": "o3",
                    "cost_usd": 0.75,
                }
            ),
        )
        p.flush()
        sent[run] = time.perf_counter()
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while len(received) < runs and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    job.stop()
    return [received[r] - sent[r] for r in sent if r in received]


def state_footprint(
    s: Settings, tmp: Path, backend: Literal["hashmap", "rocksdb"], rate: int, horizon_s: float
) -> tuple[float, int]:
    """Streaming at ``rate`` events/s for three horizons, with the run state's horizons
    (``dedup_horizon_s``, ``run_idle_s``) at ``horizon_s``: once a horizon has passed, state
    holds one horizon of events and stays there. Returns (bytes of the newest checkpoint at the
    end, events in one horizon)."""
    run = uuid.uuid4().hex[:6]
    s = s.model_copy(
        update={
            "topic_events": f"st-events-{run}",
            "topic_alerts": f"st-alerts-{run}",
            "topic_dlq": f"st-dlq-{run}",
            "topic_controls": f"st-controls-{run}",
            "var_dir": tmp / f"state-{run}",
        }
    )
    create_topics(s)
    cfg = job_config(
        s,
        checkpoint_interval_s=5.0,
        group_id=f"st-{run}",
        dedup_horizon_s=horizon_s,
        run_idle_s=horizon_s,
        state_backend=backend,
        lake_path=(tmp / f"state-{run}" / "lake").resolve(),
        checkpoint_dir=(tmp / f"state-{run}" / "ckpt").resolve(),
    )
    job = LocalJob(s)
    job.start(cfg)
    events = simulate(
        SimConfig(runs=int(rate * horizon_s * 3 / 7) + 50, seed=9, days=1),
        PriceTable.load(s.prices_file),
    )
    try:
        with Gauge(s.model_copy(update={"emit_block_ms": 60_000.0, "controls": False})) as g:
            start = time.monotonic()
            for i, e in enumerate(events[: int(rate * horizon_s * 3)]):
                g.emit({**e, "ts": datetime.now(UTC).isoformat()})
                ahead = start + (i + 1) / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            g.flush(60)
        time.sleep(2 * cfg.checkpoint_interval_s)  # a checkpoint of the state at the end
        # Measured while the job runs: a stop with a savepoint discards the checkpoints.
        done = sorted(cfg.checkpoint_dir.glob("*/chk-*/_metadata"), key=lambda m: m.stat().st_mtime)
        chk = done[-1].parent
        files = [f for f in chk.rglob("*") if f.is_file()]
        files += [f for f in (chk.parent / "shared").rglob("*") if f.is_file()]
        size = sum(f.stat().st_size for f in files)
    finally:
        job.stop()
    return size, int(rate * horizon_s)


def print_state(s: Settings, tmp: Path, rate: int, horizon_s: float) -> None:
    rows = []
    for backend in ("hashmap", "rocksdb"):
        size, held = state_footprint(s, tmp, backend, rate, horizon_s)
        per = size / held
        rows.append(
            [
                backend,
                f"{size / 2**20:.1f}",
                f"{held:,}",
                f"{per:,.0f}",
                f"{per * 1000 * 3600 / 2**30:.2f}",
            ]
        )
    print_table(
        f"State at steady state ({rate} events/s, run horizons {horizon_s:g} s, newest checkpoint)",
        [
            "backend",
            "checkpoint MB",
            "events in a horizon",
            "bytes/event",
            "GB at 1k events/s, 1 h horizons",
        ],
        rows,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000, help="N: each job runs at N and 2N")
    ap.add_argument("--latency-runs", type=int, default=100)
    ap.add_argument("--state-rate", type=int, default=500, help="events/s of the state run")
    ap.add_argument("--state-horizon", type=float, default=60.0, help="seconds")
    ap.add_argument("--state-only", action="store_true", help="only the state measurement")
    ap.add_argument(
        "--cluster",
        action="store_true",
        help="only the standalone cluster at parallelism 1, 2, 4 beside the MiniCluster",
    )
    args = ap.parse_args()
    with bench_broker() as s, tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        if args.cluster:
            print_cluster(s, tmp, args.events)
            return
        if args.state_only:
            print_state(s, tmp, args.state_rate, args.state_horizon)
            return
        n = fill(s, args.events)
        half = true_end_offsets(s.connection(), s.topic_events)
        n2 = n + fill(s, args.events, seed=4, start=datetime(2026, 11, 9, tzinfo=UTC))
        end = true_end_offsets(s.connection(), s.topic_events)
        # Every job runs in the one PyFlink JVM, so the first run of each also warms the JIT for
        # the next: one warm-up run each (discarded), then N and 2N.
        jobs: dict[str, Callable[[dict[int, int]], float]] = {
            "passthrough (raw -> blackhole)": lambda u: baseline(s, s.topic_events, u, "raw"),
            "passthrough (JSON, 19 fields -> blackhole)": lambda u: baseline(
                s, s.topic_events, u, "json"
            ),
            "keyed window (JSON, 10 s tumble by workflow, segment)": lambda u: baseline(
                s, s.topic_events, u, "window"
            ),
            "de-duplication only (JSON, keep first by event_id)": lambda u: baseline(
                s, s.topic_events, u, "dedup"
            ),
            "windowed rules only (JSON, AG_WINDOW_STATS + AG_WINDOW_BASELINE)": lambda u: baseline(
                s, s.topic_events, u, "rules"
            ),
            "agentgauge job (all rules, DLQ, lake)": lambda u: full(s, tmp, u),
        }
        times = {job: [run(u) for u in (half, half, end)][1:] for job, run in jobs.items()}
        steady = {job: (n2 - n) / (t2 - t1) for job, (t1, t2) in times.items()}
        base = steady["passthrough (raw -> blackhole)"]
        print_table(
            f"Flink job vs passthrough (parallelism 2, same topic, same run): {n:,} and {n2:,}",
            ["job", f"wall s ({n:,})", f"wall s ({n2:,})", "steady events/s", "ratio"],
            [
                [job, f"{t1:.1f}", f"{t2:.1f}", f"{steady[job]:,.0f}", f"{steady[job] / base:.3f}x"]
                for job, (t1, t2) in times.items()
            ],
        )
        lat = sorted(alert_latency(s, tmp, args.latency_runs))
        q = statistics.quantiles(lat, n=100)
        print_table(
            f"Alert latency, produce crossing event -> alert readable ({len(lat)} runs, streaming)",
            ["p50 ms", "p99 ms", "max ms"],
            [[f"{q[49] * 1000:.0f}", f"{q[98] * 1000:.0f}", f"{lat[-1] * 1000:.0f}"]],
        )
        print_state(s, tmp, args.state_rate, args.state_horizon)


if __name__ == "__main__":
    main()
