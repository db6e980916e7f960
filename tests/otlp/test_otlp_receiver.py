"""``agentgauge otlp serve`` as its own process on the real broker: the real OpenTelemetry
SDK's OTLP/HTTP exporter (protobuf) and hand-written OTLP/JSON bodies in; the exact events, the
DLQ records and the OTLP answers out."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import httpx
import orjson
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.otlp.test_otlp_mapping import _json_body, _json_span
from tests.support.kafka import free_port, isolated_settings, read_json, wait_until
from tests.support.otel import receiver, tracer

JSON = {"Content-Type": "application/json"}


def _agent_trace() -> tuple[Any, str]:
    t, cap = tracer({"service.name": "support-bot", "agentgauge.customer_id": "acme"})
    with t.start_as_current_span("invoke_agent") as root:
        root.set_attribute("agentgauge.segment", "enterprise")
        with t.start_as_current_span("chat gpt-4o") as s:
            s.set_attribute("gen_ai.operation.name", "chat")
            s.set_attribute("gen_ai.request.model", "gpt-4o")
            s.set_attribute("gen_ai.usage.input_tokens", 1000)
            s.set_attribute("gen_ai.usage.output_tokens", 100)
        with t.start_as_current_span("execute_tool refund") as s:
            s.set_attribute("gen_ai.operation.name", "execute_tool")
            s.set_attribute("gen_ai.tool.name", "refund")
            s.set_attribute("gen_ai.tool.call.arguments", '{"card": "4111 1111 1111 1111"}')
    return cap, format(root.get_span_context().trace_id, "032x")


def test_the_sdk_exporter_lands_exact_events(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    cap, trace = _agent_trace()
    with receiver(s) as url:
        exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=10)
        assert exporter.export(cap.spans) == SpanExportResult.SUCCESS
        assert exporter.export(cap.spans) == SpanExportResult.SUCCESS  # an exporter's retry
        wait_until(lambda: len(read_json(s, s.topic_events)) >= 8, timeout=30, what="events")
    events = read_json(s, s.topic_events)
    assert len(events) == 8  # 4 events, twice, with the same ids: the job de-duplicates
    ids = [e["event_id"] for e in events]
    assert sorted(ids[:4]) == sorted(ids[4:]) and len(set(ids)) == 4
    by_type = {e["event_type"]: e for e in events}
    assert sorted(by_type) == ["model_call", "run_finished", "run_started", "tool_call"]
    for e in events:
        assert (e["trace_id"], e["run_id"], e["workflow"]) == (trace, trace, "support-bot")
        assert (e["customer_id"], e["segment"]) == ("acme", "enterprise")
    model = by_type["model_call"]
    # Priced by the SDK's price table (no cost attribute on the span).
    assert model["cost_usd"] > 0 and model["attributes"]["price_table_version"]
    assert (model["input_tokens"], model["output_tokens"]) == (1000, 100)
    assert by_type["tool_call"]["args_hash"].startswith("sha256:")
    assert "4111" not in orjson.dumps(events).decode()
    assert read_json(s, s.topic_dlq) == []


def test_json_partial_success_gzip_and_errors(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    with receiver(s, "--max-body-mb", "0.01") as url:
        post = httpx.Client(base_url=url, timeout=10)
        # One good span, one the mapping cannot take, one whose event breaks the contract.
        body = _json_body(
            _json_span(),
            _json_span(spanId="00000000000000AA", traceId="0" * 32),
            _json_span(
                spanId="1111111111111111",
                parentSpanId="EEE19B7EC3C1B174",
                attributes=[
                    {"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "-5"}},
                    {"key": "api_key", "value": {"stringValue": "sk-live-abcdefghijklmnop"}},
                ],
            ),
        )
        r = post.post("/v1/traces", content=body, headers=JSON)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        partial = r.json()["partialSuccess"]
        assert partial["rejectedSpans"] == "2"
        assert partial["errorMessage"].startswith("trace id '000")
        # gzip, same spans: the same event ids again.
        r = post.post(
            "/v1/traces",
            content=gzip.compress(_json_body(_json_span())),
            headers={**JSON, "Content-Encoding": "gzip"},
        )
        assert r.status_code == 200 and r.json() == {}
        # Protobuf answers are ExportTraceServiceResponse / google.rpc.Status messages.
        r = post.post(
            "/v1/traces",
            content=b"\x0a\xff junk",
            headers={"Content-Type": "application/x-protobuf"},
        )
        assert r.status_code == 400 and r.headers["content-type"] == "application/x-protobuf"
        assert b"not a protobuf ExportTraceServiceRequest" in r.content
        r = post.post("/v1/traces", content=b"{", headers=JSON)
        assert r.status_code == 400 and "invalid JSON" in r.json()["message"]
        r = post.post("/v1/traces", content=b"x" * 20_000, headers=JSON)
        assert r.status_code == 413 and "over 10,485 bytes" in r.json()["message"]
        bomb = gzip.compress(b"{" + b" " * 5_000_000 + b"}")
        r = post.post("/v1/traces", content=bomb, headers={**JSON, "Content-Encoding": "gzip"})
        assert r.status_code == 413  # stops inflating at the limit
        r = post.post("/v1/traces", content=b"{}", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and b"unsupported content type" in r.content
        r = post.post("/v1/traces", content=b"{}", headers={**JSON, "Content-Encoding": "br"})
        assert r.status_code == 415
        r = post.post("/v1/traces", content=b"", headers={"Content-Type": "application/x-protobuf"})
        assert r.status_code == 200
        assert ExportTraceServiceResponse.FromString(r.content) == ExportTraceServiceResponse()
        wait_until(lambda: len(read_json(s, s.topic_dlq)) >= 2, timeout=30, what="dead letters")
    events = read_json(s, s.topic_events)
    kinds = sorted(e["event_type"] for e in events)
    assert kinds == ["model_call"] * 2 + ["run_finished"] * 2 + ["run_started"] * 2
    assert {e["trace_id"] for e in events} == {"5b8efff798038103d269b633813fc60c"}
    letters = read_json(s, s.topic_dlq)
    assert len(letters) == 2 and {d["source"] for d in letters} == {"otlp"}
    reasons = sorted(d["reason"] for d in letters)
    assert reasons == [
        "gen_ai.usage.input_tokens must be a non-negative integer, got '-5'",
        "trace id '00000000000000000000000000000000' is not 16 non-zero bytes",
    ]
    dumped = orjson.dumps(letters).decode()
    assert "sk-live" not in dumped  # no secret reaches the DLQ


def test_a_full_queue_answers_429_with_retry_after(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    dead = f"127.0.0.1:{free_port()}"  # no broker: the queue cannot drain
    env = {"AGENTGAUGE_BOOTSTRAP_SERVERS": dead, "AGENTGAUGE_QUEUE_SIZE": "6"}
    # Stopped with the broker still away, it says what it could not send and exits 1.
    with receiver(s, env=env, exit_code=1, says="3 events unsent") as url:
        body = _json_body(_json_span())
        first = httpx.post(f"{url}/v1/traces", content=body, headers=JSON, timeout=10)
        assert first.status_code == 200
        second = httpx.post(f"{url}/v1/traces", content=body, headers=JSON, timeout=10)
        assert second.status_code == 429 and second.headers["retry-after"] == "1"
        assert "send queue is full" in second.json()["message"]
        health = httpx.get(f"{url}/healthz", timeout=10).json()
        assert health["gauge"]["queued"] == 3 and health["events"] == 3
