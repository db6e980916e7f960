"""OTLP ingest: spans per second through ``agentgauge otlp serve`` to the topic, against
decoding alone, measured in the same run on the same bodies.

The bodies are what the OpenTelemetry SDK's OTLP/HTTP exporter sends: spans made by the real
SDK (a root, three chat calls with usage, two tool calls per trace), encoded by its own
encoder, 512 spans per request (the BatchSpanProcessor's default batch).

Rows:
- **decode (decoding alone, the baseline)**: :func:`streams.otlp.spans.decode_protobuf`: the
  protobuf parse and reading every span's ids, times, status and attributes, which any receiver
  must do to use a span;
- **protobuf parse only**: ``ExportTraceServiceRequest.FromString``, for reference: upb parses
  in C and creates the Python objects only when a field is read, so this reads nothing;
- **decode + map**: the receiver's own work before the send path (the mapping validates what it
  copies; no pydantic pass);
- **receiver -> topic**: HTTP POSTs (one client, keep-alive) to the receiver process, until the
  broker acknowledged every event (``/healthz``: sent == events), with either transport; and
  the receiver's peak RSS.

Run: ``PATH=.venv/bin:$PATH python -m bench.bench_otlp [--traces 20000]``. Printed, not
asserted. Goal: receiver -> topic >= 0.5x of decoding alone.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from bench.common import bench_broker, free_port, print_table
from streams.otlp.mapping import SpanMapper
from streams.otlp.spans import decode_protobuf

BATCH = 512


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: object) -> SpanExportResult:
        self.spans += list(spans)  # type: ignore[call-overload]
        return SpanExportResult.SUCCESS


def make_bodies(traces: int) -> tuple[list[bytes], int]:
    keep = _Keep()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "bench-agent", "agentgauge.segment": "smb"})
    )
    provider.add_span_processor(SimpleSpanProcessor(keep))
    tracer = provider.get_tracer("bench")
    for i in range(traces):
        with tracer.start_as_current_span("invoke_agent") as root:
            root.set_attribute("agentgauge.customer_id", f"cust-{i % 200}")
            for _ in range(3):
                with tracer.start_as_current_span("chat gpt-4o") as s:
                    s.set_attribute("gen_ai.operation.name", "chat")
                    s.set_attribute("gen_ai.provider.name", "openai")
                    s.set_attribute("gen_ai.request.model", "gpt-4o")
                    s.set_attribute("gen_ai.usage.input_tokens", 900)
                    s.set_attribute("gen_ai.usage.output_tokens", 120)
            for t in range(2):
                with tracer.start_as_current_span("execute_tool lookup") as s:
                    s.set_attribute("gen_ai.operation.name", "execute_tool")
                    s.set_attribute("gen_ai.tool.name", "lookup")
                    s.set_attribute("gen_ai.tool.call.arguments", f'{{"order": {t}}}')
    spans = keep.spans
    bodies = [
        bytes(encode_spans(spans[i : i + BATCH]).SerializeToString())
        for i in range(0, len(spans), BATCH)
    ]
    return bodies, len(spans)


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def decode_map(bodies: list[bytes]) -> int:
    mapper = SpanMapper()
    return sum(len(mapper.map(decode_protobuf(body)).events) for body in bodies)


def _peak_rss_mb(pid: int) -> float:
    found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) / 1024 if found else float("nan")


def through_receiver(bodies: list[bytes], events: int, transport: str) -> tuple[float, float]:
    with bench_broker() as s:
        port = free_port()
        env = {
            **os.environ,
            "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
            "AGENTGAUGE_VAR_DIR": str(s.var_dir),
            "AGENTGAUGE_TRANSPORT": transport,
        }
        agentgauge = str(Path(sys.executable).parent / "agentgauge")
        proc = subprocess.Popen(
            [agentgauge, "otlp", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the receiver did not start")
                time.sleep(0.1)
            headers = {"Content-Type": "application/x-protobuf"}
            with httpx.Client(base_url=url, timeout=60) as client:
                t0 = time.perf_counter()
                for body in bodies:
                    while True:
                        r = client.post("/v1/traces", content=body, headers=headers)
                        if r.status_code != 429:  # the queue is full: back off as exporters do
                            break
                        time.sleep(0.05)
                    r.raise_for_status()
                while True:
                    st = client.get("/healthz").json()
                    if st["gauge"]["sent"] >= events:
                        break
                    time.sleep(0.01)
                elapsed = time.perf_counter() - t0
            return elapsed, _peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--traces", type=int, default=20_000)
    args = ap.parse_args()
    bodies, spans = make_bodies(args.traces)
    print(f"{spans:,} spans in {len(bodies)} requests ({sum(map(len, bodies)) / 2**20:.1f} MB)")

    def parse_all() -> None:
        for b in bodies:
            ExportTraceServiceRequest.FromString(b)

    def decode_all() -> None:
        for b in bodies:  # each batch dropped after use, as the receiver does
            decode_protobuf(b)

    decode_all()  # warm
    decode = timed(decode_all)
    parse = timed(parse_all)
    events = decode_map(bodies)
    mapped = timed(lambda: decode_map(bodies))
    e2e, rss = through_receiver(bodies, events, "confluent")
    e2e_kp, rss_kp = through_receiver(bodies, events, "kafka-python")
    rows = [
        ("decode (decoding alone)", decode),
        ("protobuf parse only (reads no field)", parse),
        ("decode + map", mapped),
        ("receiver -> topic, confluent (acked)", e2e),
        ("receiver -> topic, kafka-python (acked)", e2e_kp),
    ]
    print_table(
        f"OTLP ingest, {spans:,} spans -> {events:,} events",
        ["path", "spans/s", "x decoding alone"],
        [[name, f"{spans / secs:,.0f}", f"{decode / secs:.2f}x"] for name, secs in rows],
    )
    print(
        f"receiver peak RSS {rss:.0f} MB (confluent), {rss_kp:.0f} MB (kafka-python);"
        f" events per span {events / spans:.2f}"
    )


if __name__ == "__main__":
    main()
