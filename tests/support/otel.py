"""Spans made by the real OpenTelemetry SDK, encoded by its own OTLP encoder, and the
``agentgauge otlp`` commands as processes of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from agentgauge.settings import AppSettings
from tests.support.kafka import free_port, wait_until


class Capture(SpanExporter):
    """Keeps every finished span (in the order they end, as a batch exporter sends them)."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += spans
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def tracer(resource: dict[str, Any] | None = None) -> tuple[Any, Capture]:
    capture = Capture()
    provider = TracerProvider(resource=Resource.create(resource or {}))
    provider.add_span_processor(SimpleSpanProcessor(capture))
    return provider.get_tracer("tests"), capture


def encode(spans: Sequence[ReadableSpan]) -> bytes:
    """The protobuf ExportTraceServiceRequest the SDK's OTLP exporters send."""
    return bytes(encode_spans(spans).SerializeToString())


def env_for(s: AppSettings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
        "AGENTGAUGE_TOPIC_EVENTS": s.topic_events,
        "AGENTGAUGE_TOPIC_DLQ": s.topic_dlq,
        "AGENTGAUGE_VAR_DIR": str(s.var_dir),
        **extra,
    }


def agentgauge(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "agentgauge"), *args]


@contextmanager
def receiver(
    s: AppSettings,
    *args: str,
    env: dict[str, str] | None = None,
    exit_code: int = 0,
    says: str = "",
) -> Iterator[str]:
    """``agentgauge otlp serve`` on a free port; yields its base URL; stops it with SIGTERM
    (which flushes) and checks its exit code and output."""
    port = free_port()
    proc = subprocess.Popen(
        agentgauge("otlp", "serve", "--port", str(port), *args),
        env=env_for(s, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=60, what="the OTLP receiver")
        yield url
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0].decode()
        assert proc.returncode == exit_code and says in out, out
