"""SDK emit throughput vs the raw client sending the same bytes, and emit() caller cost.

Run: ``.venv/bin/python -m bench.bench_sdk [--events N]``. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from agentgauge.simulate import SimConfig, simulate
from bench.common import bench_broker, print_table
from streams.client import Gauge
from streams.pricing import PriceTable
from streams.settings import Settings


def events(n: int, prices: PriceTable) -> list[dict[str, Any]]:
    runs = max(1, n // 7)
    out = simulate(SimConfig(runs=runs, seed=1, start=datetime(2026, 11, 2, tzinfo=UTC)), prices)
    while len(out) < n:
        out = out + out
    return out[:n]


def raw_kafka_python(s: Settings, payloads: list[tuple[bytes, bytes]], topic: str) -> float:
    p = s.connection().producer(acks="all", linger_ms=5, batch_size=256 * 1024)
    t = time.perf_counter()
    for key, value in payloads:
        p.send(topic, key=key, value=value)
    p.flush()
    elapsed = time.perf_counter() - t
    p.close()
    return len(payloads) / elapsed


def raw_confluent(s: Settings, payloads: list[tuple[bytes, bytes]], topic: str) -> float:
    p = s.connection().confluent_producer(
        **{
            "acks": "all",
            "linger.ms": 5,
            "enable.idempotence": True,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    t = time.perf_counter()
    for key, value in payloads:
        while True:
            try:
                p.produce(topic, value=value, key=key)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    p.flush()
    return len(payloads) / (time.perf_counter() - t)


def sdk(s: Settings, evs: list[dict[str, Any]], transport: str, validate: bool) -> float:
    g = Gauge(
        s.model_copy(
            update={"transport": transport, "queue_size": len(evs) + 1, "validate_events": validate}
        )
    )
    g.emit(evs[0])  # connect before timing, as the raw client is constructed before timing
    g.flush(30)
    t = time.perf_counter()
    for e in evs:
        g.emit(e)
    ok = g.flush(600)
    elapsed = time.perf_counter() - t
    st = g.stats()
    g.close()
    assert ok and st.failed == 0 and st.dropped == 0, st
    return len(evs) / elapsed


def emit_latency(s: Settings, evs: list[dict[str, Any]]) -> tuple[float, float, float]:
    g = Gauge(s.model_copy(update={"queue_size": len(evs) + 1}))
    samples = []
    for e in evs:
        t = time.perf_counter_ns()
        g.emit(e)
        samples.append(time.perf_counter_ns() - t)
        time.sleep(0) if len(samples) % 64 else None
    g.flush(600)
    g.close()
    samples.sort()
    q = statistics.quantiles(samples, n=100)
    return q[49] / 1000, q[98] / 1000, samples[-1] / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000, help="events per kafka-python run")
    ap.add_argument("--confluent-events", type=int, default=200_000)
    args = ap.parse_args()
    with bench_broker() as s:
        prices = PriceTable.load(s.prices_file)
        rows = []
        for transport, n, raw in (
            ("kafka-python", args.events, raw_kafka_python),
            ("confluent", args.confluent_events, raw_confluent),
        ):
            evs = events(n, prices)
            payloads = [(str(e["run_id"]).encode(), orjson.dumps(e)) for e in evs]
            raw_rate = raw(s, payloads, s.topic_events)
            sdk_rate = sdk(s, evs, transport, validate=True)
            trusted = sdk(s, evs, transport, validate=False)
            rows.append(
                [
                    transport,
                    f"{n:,}",
                    f"{raw_rate:,.0f}",
                    f"{sdk_rate:,.0f}",
                    f"{sdk_rate / raw_rate:.2f}x",
                    f"{trusted:,.0f}",
                    f"{trusted / raw_rate:.2f}x",
                ]
            )
        print_table(
            "SDK emit throughput (events/s) vs raw client, same bytes, same run",
            [
                "transport",
                "events",
                "raw client",
                "SDK (validating)",
                "ratio",
                "SDK (validate_events=false)",
                "ratio",
            ],
            rows,
        )
        p50, p99, worst = emit_latency(s, events(100_000, prices))
        print_table(
            "emit() caller-thread cost (100k calls)",
            ["p50 µs", "p99 µs", "max µs"],
            [[f"{p50:.2f}", f"{p99:.2f}", f"{worst:.0f}"]],
        )


if __name__ == "__main__":
    main()
