"""Flink job throughput against a passthrough SQL job over the same topic, and alert latency.

Run: ``PATH=.venv/bin:$PATH python -m bench.bench_job [--events N]``. Figures are printed, not
asserted. Job start-up (MiniCluster, planning) is measured on an empty topic in the same run and
reported apart, so the throughput columns compare processing only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pyflink.table import EnvironmentSettings, TableEnvironment

from bench.common import bench_broker, print_table
from jobs.runner import run_bounded
from jobs.service import LocalJob, job_config
from jobs.sql_render import with_options
from streams.client import Gauge
from streams.offsets import bounded_offsets_option, true_end_offsets
from streams.pricing import PriceTable
from streams.settings import Settings
from streams.simulate import SimConfig, simulate
from streams.topics import create_topics


def fill(s: Settings, n: int) -> int:
    prices = PriceTable.load(s.prices_file)
    events = simulate(
        SimConfig(runs=n // 7 + 1, seed=3, days=7, start=datetime(2026, 11, 2, tzinfo=UTC)), prices
    )
    with Gauge(
        s.model_copy(
            update={"transport": "confluent", "emit_block_ms": 600_000.0, "validate_events": False}
        )
    ) as g:
        for e in events[:n]:
            g.emit(e)
        g.flush(600)
        return g.stats().sent


def passthrough(s: Settings, topic: str) -> float:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "2")
    ends = bounded_offsets_option(true_end_offsets(s, topic))
    src = {
        "connector": "kafka",
        "topic": topic,
        "properties.bootstrap.servers": s.bootstrap_servers,
        "properties.group.id": f"pt-{uuid.uuid4().hex[:6]}",
        "scan.startup.mode": "earliest-offset",
        "scan.bounded.mode": "specific-offsets",
        "scan.bounded.specific-offsets": ends,
        "format": "raw",
    }
    t_env.execute_sql(f"CREATE TABLE src (payload STRING) WITH ({with_options(src)})")
    t_env.execute_sql("CREATE TABLE sink (payload STRING) WITH ('connector' = 'blackhole')")
    t = time.perf_counter()
    t_env.execute_sql("INSERT INTO sink SELECT payload FROM src").wait()
    return time.perf_counter() - t


def full(s: Settings, tmp: Path) -> float:
    t = time.perf_counter()
    run_bounded(
        job_config(
            s,
            group_id=f"b-{uuid.uuid4().hex[:6]}",
            lake_path=tmp / "lake",
            checkpoint_dir=tmp / "ckpt",
            checkpoint_interval_s=10.0,
        )
    )
    return time.perf_counter() - t


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
        c = KafkaConsumer(bootstrap_servers=s.bootstrap_servers)
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
    p = KafkaProducer(bootstrap_servers=s.bootstrap_servers, linger_ms=0, acks=1)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--latency-runs", type=int, default=100)
    args = ap.parse_args()
    with bench_broker() as s, tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        empty = s.model_copy(update={"topic_events": "empty-events"})
        create_topics(empty)
        startup = passthrough(s, "empty-events")
        n = fill(s, args.events)
        t_pass = passthrough(s, s.topic_events)
        t_full = full(s, tmp)

        def rate(t: float) -> str:  # within start-up noise (0.5 s) there is no rate to print
            return f"{n / (t - startup):,.0f}" if t - startup > 0.5 else "n/a (< start-up noise)"

        print_table(
            f"Flink job vs passthrough, {n:,} events, parallelism 2, same topic, same run",
            ["job", "wall s", "events/s (wall)", "events/s (minus start-up)", "ratio (wall)"],
            [
                [
                    "passthrough (raw -> blackhole)",
                    f"{t_pass:.1f}",
                    f"{n / t_pass:,.0f}",
                    rate(t_pass),
                    "1.00x",
                ],
                [
                    "agentgauge job (all rules, DLQ, lake)",
                    f"{t_full:.1f}",
                    f"{n / t_full:,.0f}",
                    rate(t_full),
                    f"{t_pass / t_full:.3f}x",
                ],
            ],
        )
        print(f"start-up (same passthrough job on an empty topic): {startup:.1f} s")
        lat = sorted(alert_latency(s, tmp, args.latency_runs))
        q = statistics.quantiles(lat, n=100)
        print_table(
            f"Alert latency, produce crossing event -> alert readable ({len(lat)} runs, streaming)",
            ["p50 ms", "p99 ms", "max ms"],
            [[f"{q[49] * 1000:.0f}", f"{q[98] * 1000:.0f}", f"{lat[-1] * 1000:.0f}"]],
        )


if __name__ == "__main__":
    main()
