"""Closed-loop breakers against the real broker and a streaming job: how fast a crossing seen by
the job stops an agent in another process, how much is spent past a limit, and what a check costs
on the caller's thread.

- **cross-process latency**: this process produces a customer's crossing event (one call over
  the hourly ceiling); a watcher process, a `Gauge` following the control topic, reports the
  moment the check `gauge.run(...)` makes on entry starts raising `BreakerOpen` for that
  customer (checked every millisecond without starting runs, which would flood the job). Same
  clock.
- **overshoot across processes**: a worker process makes $0.50 calls for one customer as fast as
  its runs allow; the job opens the customer's breaker when the hourly ceiling is crossed; the
  worker counts the calls (and dollars) it made after the crossing call.
- **overshoot locally**: a run with a budget counts the calls made after the one that crossed.
- **check cost**: `Gauge.check_breakers` per call, with 1,000 open breakers.

Run: ``PATH=.venv/bin:$PATH python -m bench.bench_breaker [--customers 20]``. Printed, not
asserted. Goals: p99 <= 1 s; 0 calls locally; <= 2 us per check.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from bench.common import bench_broker, print_table
from streams import BudgetExceeded, Gauge
from streams.contract import format_ts
from streams.controls import Breaker, control_key, opened_record

WATCHER = """
import sys, time
from streams import BreakerOpen, Gauge, load_settings
customers = sys.argv[1:]
with Gauge(load_settings()) as gauge:
    gauge.breakers()
    print("ready", flush=True)
    runs = {c: gauge.run(workflow="bench", customer_id=c, segment="s") for c in customers}
    while runs:
        for c, run in list(runs.items()):
            try:
                gauge.check_breakers(run, starting=True)  # what `with gauge.run(...)` checks first
            except BreakerOpen:
                print(f"{c} {time.time()}", flush=True)
                del runs[c]
        time.sleep(0.001)
"""

WORKER = """
import sys, time
from streams import BreakerOpen, Gauge, load_settings
customer, ceiling = sys.argv[1], float(sys.argv[2])
spent = calls = after = 0
with Gauge(load_settings()) as gauge:
    print("ready", flush=True)
    try:
        while True:
            with gauge.run(workflow="bench", customer_id=customer, segment="s") as run:
                for _ in range(5):
                    run.model_call("gpt-4o", cost_usd=0.5)
                    calls += 1
                    spent += 0.5
                    if spent > ceiling:
                        after += 1
                    time.sleep(0.01)
    except BreakerOpen:
        pass
print(f"{calls} {after - 1} {spent}", flush=True)
"""


def _env(s: AppSettings) -> dict[str, str]:
    return {
        **os.environ,
        "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
        "AGENTGAUGE_TOPIC_EVENTS": s.topic_events,
        "AGENTGAUGE_TOPIC_CONTROLS": s.topic_controls,
    }


def _crossing(customer: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "schema_version": "1.0",
        "event_type": "model_call",
        "ts": format_ts(datetime.now(UTC)),
        "trace_id": uuid.uuid4().hex,
        "run_id": f"bench-{customer}",
        "workflow": "bench",
        "customer_id": customer,
        "segment": "s",
        "model": "gpt-4o",
        "cost_usd": 30.0,  # over the default customer_hourly_usd (25)
    }


def cross_process(s: AppSettings, n: int) -> list[float]:
    customers = [f"lat-{uuid.uuid4().hex[:6]}-{i}" for i in range(n)]
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, *customers],
        env=_env(s),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    assert watcher.stdout.readline().strip() == "ready"
    producer = s.connection().producer(linger_ms=0, acks=1)
    sent: dict[str, float] = {}
    for c in customers:
        producer.send(s.topic_events, key=c.encode(), value=orjson.dumps(_crossing(c)))
        producer.flush()
        sent[c] = time.time()
        time.sleep(0.3)
    seen: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while len(seen) < n and time.monotonic() < deadline:
        line = watcher.stdout.readline()
        if not line:
            break
        c, t = line.split()
        seen[c] = float(t)
    watcher.kill()
    producer.close()
    return [seen[c] - sent[c] for c in customers if c in seen]


def overshoot(s: AppSettings, ceiling: float) -> tuple[int, int, float]:
    customer = f"over-{uuid.uuid4().hex[:6]}"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, customer, str(ceiling)],
        env=_env(s),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    out, _ = worker.communicate(timeout=120)
    calls, after, spent = out.split()
    return int(calls), int(after), float(spent)


def local_overshoot(s: AppSettings) -> int:
    after = 0
    with Gauge(s.model_copy(update={"controls": False})) as gauge:
        run = gauge.run(workflow="bench", customer_id="local", segment="s", budget_usd=1.0)
        crossed = False
        try:
            with run:
                for _ in range(100):
                    run.model_call("gpt-4o", cost_usd=0.3)
                    if crossed:
                        after += 1
                    crossed = run.cost_usd > 1.0
        except BudgetExceeded:
            pass
    return after


def check_cost(s: AppSettings) -> float:
    with Gauge(s) as gauge:
        assert gauge._controls is not None
        now = format_ts(datetime.now(UTC))
        for i in range(1000):
            gauge._controls.state.apply(opened_record(Breaker("customer", f"c-{i}", "bench", now)))
        run = gauge.run(workflow="bench", customer_id="free", segment="s")
        n = 200_000
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                gauge.check_breakers(run)
            best = min(best, (time.perf_counter() - t) / n)
        control_key("customer", "c-1")  # the key layout the records above use
        return best * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20)
    args = ap.parse_args()
    with bench_broker() as s, tempfile.TemporaryDirectory() as tmp:
        s = s.model_copy(update={"var_dir": Path(tmp)})
        job = LocalJob(s)
        job.start(job_config(s, checkpoint_interval_s=5.0, group_id="breaker-bench"))
        try:
            lat = sorted(cross_process(s, args.customers))
            ceiling = job_config(s).ceilings.defaults.customer_hourly_usd
            calls, after, spent = overshoot(s, ceiling)
        finally:
            job.stop()
        local_after = local_overshoot(s)
        per_check_us = check_cost(s)
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    print_table(
        f"Breaker: crossing event produced -> BreakerOpen in another process ({len(lat)} of"
        f" {args.customers} customers)",
        ["p50 ms", "p99 ms", "max ms"],
        [[f"{q[49] * 1000:.0f}", f"{q[98] * 1000:.0f}", f"{lat[-1] * 1000:.0f}"]],
    )
    print_table(
        "Overshoot: calls made after the crossing call",
        ["where", "calls after crossing", "spent past the limit", "calls in all"],
        [
            [
                "local (run budget $1.00, $0.30 calls)",
                str(local_after),
                "$0.20 (the crossing call)",
                "-",
            ],
            [
                f"across processes (customer ceiling ${ceiling:.2f}, $0.50 calls, 10 ms apart)",
                str(after),
                f"${max(0.0, spent - ceiling):.2f}",
                str(calls),
            ],
        ],
    )
    print_table(
        "Caller-thread cost of a breaker check (1,000 open breakers)",
        ["us per check"],
        [[f"{per_check_us:.2f}"]],
    )


if __name__ == "__main__":
    main()
