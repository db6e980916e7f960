"""The OTLP mapping on spans made by the real OpenTelemetry SDK and encoded by its own OTLP
encoder (no broker): each convention's names, identity precedence, children before their root,
errors, retries, rejects with reasons, and hostile bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.trace import Status, StatusCode

from streams.contract import format_ts, validate_event
from streams.ids import args_hash
from streams.otlp import keys as K
from streams.otlp import mapping
from streams.otlp.mapping import MappingConfig, Outcome, SpanMapper
from streams.otlp.spans import OtlpDecodeError, Span, SpanEvent, decode_json, decode_protobuf
from tests.support.otel import encode, tracer

IDENTITY = {"agentgauge.customer_id": "acme", "agentgauge.segment": "enterprise"}


def _map(capture: Any, mapper: SpanMapper | None = None) -> Outcome:
    out = (mapper or SpanMapper()).map(decode_protobuf(encode(capture.spans)))
    for e in out.events:
        validate_event(e)  # every mapped event is a valid contract-v1 event
    return out


def _by_type(out: Outcome) -> dict[str, dict[str, Any]]:
    return {e["event_type"]: e for e in out.events}


def test_genai_conventions_current_names() -> None:
    t, cap = tracer({"service.name": "support-bot", **IDENTITY})
    with t.start_as_current_span("invoke_agent triage") as root:
        root.set_attribute("gen_ai.agent.name", "triage")
        root.set_attribute("agentgauge.prompt_version", "p7")
        with t.start_as_current_span("chat gpt-4o") as s:
            s.set_attribute("gen_ai.operation.name", "chat")
            s.set_attribute("gen_ai.provider.name", "openai")
            s.set_attribute("gen_ai.request.model", "gpt-4o")
            s.set_attribute("gen_ai.usage.input_tokens", 1200)
            s.set_attribute("gen_ai.usage.output_tokens", 80)
            s.set_attribute("gen_ai.usage.cache_read.input_tokens", 1000)
        with t.start_as_current_span("execute_tool lookup") as s:
            s.set_attribute("gen_ai.operation.name", "execute_tool")
            s.set_attribute("gen_ai.tool.name", "lookup_order")
            s.set_attribute("gen_ai.tool.call.arguments", '{"order": "A-1", "card": "4111"}')
    out = _map(cap)
    assert not out.rejects and out.held == 0
    ev = _by_type(out)
    assert sorted(ev) == ["model_call", "run_finished", "run_started", "tool_call"]
    trace = format(root.get_span_context().trace_id, "032x")
    for e in out.events:
        assert e["trace_id"] == trace and e["run_id"] == trace
        assert (e["workflow"], e["customer_id"], e["segment"]) == ("triage", "acme", "enterprise")
        assert e["prompt_version"] == "p7"
        assert e["event_id"] == f"otlp-{trace}-{e['span_id']}-{e['event_type']}"
    m = ev["model_call"]
    assert (m["model"], m["provider"], m["input_tokens"], m["output_tokens"]) == (
        "gpt-4o",
        "openai",
        1200,
        80,
    )
    assert m["attributes"] == {"ingest": "otlp", "cache_read_tokens": 1000}
    assert m["status"] == "ok" and m["latency_ms"] >= 0 and "cost_usd" not in m  # priced later
    tool = ev["tool_call"]
    assert tool["tool"] == "lookup_order" and tool["status"] == "ok"
    assert tool["args_hash"] == args_hash('{"order": "A-1", "card": "4111"}')
    assert "4111" not in orjson.dumps(out.events).decode()  # arguments never leave
    assert ev["run_finished"]["status"] == "success"
    assert ev["run_started"]["ts"] <= m["ts"] <= ev["run_finished"]["ts"]
    # A re-export maps to the same event ids (the job de-duplicates them).
    again = _map(cap)
    assert [e["event_id"] for e in again.events] == [e["event_id"] for e in out.events]


def test_older_genai_openinference_and_traceloop_names() -> None:
    t, cap = tracer({"service.name": "svc"})
    with t.start_as_current_span("root") as root:
        root.set_attribute("user.id", "cust-oi")
        root.set_attribute("session.id", "sess-1")
        root.set_attribute(
            "metadata", orjson.dumps({"workflow": "doc_qa", "segment": "smb"}).decode()
        )
        root.set_attribute("llm.prompt_template.version", "v3")
        with t.start_as_current_span("old genai") as s:  # before gen_ai.provider.name
            s.set_attribute("gen_ai.system", "anthropic")
            s.set_attribute("gen_ai.request.model", "claude-sonnet-4")
            s.set_attribute("gen_ai.usage.prompt_tokens", 10)
            s.set_attribute("gen_ai.usage.completion_tokens", 5)
        with t.start_as_current_span("ChatOpenAI") as s:  # OpenInference
            s.set_attribute("openinference.span.kind", "LLM")
            s.set_attribute("llm.model_name", "gpt-4o-mini")
            s.set_attribute("llm.provider", "openai")
            s.set_attribute("llm.token_count.prompt", 30)
            s.set_attribute("llm.token_count.completion", 7)
            s.set_attribute("llm.token_count.prompt_details.cache_read", 20)
            s.set_attribute("llm.cost.total", 0.0042)
        with t.start_as_current_span("openai.chat") as s:  # Traceloop / OpenLLMetry
            s.set_attribute("llm.request.type", "chat")
            s.set_attribute("gen_ai.request.model", "gpt-4.1")
            s.set_attribute("llm.usage.prompt_tokens", 11)
            s.set_attribute("llm.usage.completion_tokens", 3)
        with t.start_as_current_span("search.tool") as s:
            s.set_attribute("traceloop.span.kind", "tool")
            s.set_attribute("tool.name", "search")
        with t.start_as_current_span("kb") as s:
            s.set_attribute("openinference.span.kind", "TOOL")
            s.set_attribute("tool.parameters", '{"q": "refund"}')
    out = _map(cap)
    assert not out.rejects
    models = {e["model"]: e for e in out.events if e["event_type"] == "model_call"}
    assert {
        k: (v.get("provider"), v["input_tokens"], v["output_tokens"]) for k, v in models.items()
    } == {
        "claude-sonnet-4": ("anthropic", 10, 5),
        "gpt-4o-mini": ("openai", 30, 7),
        "gpt-4.1": (None, 11, 3),
    }
    assert models["gpt-4o-mini"]["cost_usd"] == 0.0042
    assert models["gpt-4o-mini"]["attributes"]["cache_read_tokens"] == 20
    tools = sorted(e["tool"] for e in out.events if e["event_type"] == "tool_call")
    assert tools == ["kb", "search"]  # kb: named from the span, arguments hashed
    for e in out.events:  # the root's identity reaches every span of its trace
        assert (e["workflow"], e["customer_id"], e["segment"]) == ("doc_qa", "cust-oi", "smb")
        assert (e["session_id"], e["prompt_version"]) == ("sess-1", "v3")


def test_identity_precedence_span_then_trace_then_resource() -> None:
    t, cap = tracer(
        {"service.name": "svc-name", "agentgauge.customer_id": "res-cust", "user.id": "u"}
    )
    with t.start_as_current_span("root") as root:
        root.set_attribute("agentgauge.workflow", "wf-root")
        with t.start_as_current_span("llm") as s:
            s.set_attribute("gen_ai.request.model", "gpt-4o")
            s.set_attribute("gen_ai.usage.input_tokens", 1)
            s.set_attribute("agentgauge.customer_id", "span-cust")
            s.set_attribute("agentgauge.run_id", "run-42")
    ev = _by_type(_map(cap))
    # The span's own customer wins; its workflow comes from the root (the trace) over the
    # resource's service.name; the run id it names becomes the trace's.
    assert (ev["model_call"]["customer_id"], ev["model_call"]["workflow"]) == (
        "span-cust",
        "wf-root",
    )
    assert ev["model_call"]["run_id"] == "run-42" == ev["run_started"]["run_id"]
    # The root's customer: the trace's (span-cust, seen in this batch) before the resource's.
    assert ev["run_started"]["customer_id"] == "span-cust"
    t2, cap2 = tracer({"service.name": "svc-name", "agentgauge.customer_id": "res-cust"})
    with t2.start_as_current_span("root"):
        pass
    ev2 = _by_type(_map(cap2))
    assert (ev2["run_started"]["workflow"], ev2["run_started"]["customer_id"]) == (
        "svc-name",
        "res-cust",
    )
    assert ev2["run_started"]["segment"] == "default"
    # Within a trace the better-ranked name wins, whichever span came first: a span naming
    # user.id (OpenInference) before the root's agentgauge.customer_id.
    t3, cap3 = tracer({"service.name": "svc"})
    with t3.start_as_current_span("root") as root3:
        root3.set_attribute("agentgauge.customer_id", "explicit")
        with t3.start_as_current_span("agent") as a:
            a.set_attribute("user.id", "end-user")
        with t3.start_as_current_span("llm") as s:
            s.set_attribute("gen_ai.request.model", "gpt-4o")
            s.set_attribute("gen_ai.usage.input_tokens", 1)
    ev3 = _by_type(_map(cap3))
    assert ev3["model_call"]["customer_id"] == "explicit"


def test_children_before_their_root_wait_for_its_identity() -> None:
    t, cap = tracer({"service.name": "svc"})
    with t.start_as_current_span("root") as root:
        root.set_attribute("agentgauge.customer_id", "late-cust")
        for i in range(3):
            with t.start_as_current_span(f"llm{i}") as s:
                s.set_attribute("gen_ai.request.model", "gpt-4o")
                s.set_attribute("gen_ai.usage.output_tokens", i + 1)
    children, root_span = cap.spans[:-1], cap.spans[-1:]
    mapper = SpanMapper(MappingConfig(hold_s=30))
    first = mapper.map(decode_protobuf(encode(children)), now=0.0)
    assert (first.events, first.rejects, first.held) == ([], [], 3)
    second = mapper.map(decode_protobuf(encode(root_span)), now=5.0)
    assert second.held == 0 and not second.rejects
    assert sorted(e["event_type"] for e in second.events) == [
        "model_call",
        "model_call",
        "model_call",
        "run_finished",
        "run_started",
    ]
    assert {e["customer_id"] for e in second.events} == {"late-cust"}

    # A root that never comes: after hold_s the default customer, or a reject with the reason.
    for default, want in ((None, 0), ("house", 3)):
        m = SpanMapper(MappingConfig(hold_s=30, default_customer=default))
        assert m.map(decode_protobuf(encode(children)), now=0.0).held == 3
        assert m.expire(now=29.0).events == []
        late = m.expire(now=31.0)
        assert len(late.events) == want and m.held == 0
        if default:
            assert {e["customer_id"] for e in late.events} == {"house"}
        else:
            assert len(late.rejects) == 3
            assert all("no customer id" in reason for _, reason in late.rejects)


def test_an_exception_leaving_three_spans_is_one_error_on_the_deepest() -> None:
    t, cap = tracer({"service.name": "svc", **IDENTITY})
    with t.start_as_current_span("root") as root:
        try:
            with t.start_as_current_span("agent"), t.start_as_current_span("execute_tool pay") as s:
                s.set_attribute("gen_ai.operation.name", "execute_tool")
                s.set_attribute("gen_ai.tool.name", "pay")
                raise TimeoutError("payments API did not answer")
        except TimeoutError:
            root.set_status(Status(StatusCode.ERROR, "tool failed"))
        with t.start_as_current_span("chat") as s:  # an LLM span with an error status only
            s.set_attribute("gen_ai.operation.name", "chat")
            s.set_attribute("gen_ai.request.model", "gpt-4o")
            s.set_attribute("error.type", "RateLimitError")
            s.set_attribute("http.request.resend_count", 2)
            s.set_attribute("http.response.status_code", 429)
            s.set_status(Status(StatusCode.ERROR, "429"))
    out = _map(cap)
    errors = [e for e in out.events if e["event_type"] == "error"]
    assert sorted((e["category"], e.get("code")) for e in errors) == [
        ("model_failure", "RateLimitError"),
        ("timeout", "TimeoutError"),
    ]
    timeout = next(e for e in errors if e["category"] == "timeout")
    assert timeout["message"] == "payments API did not answer"
    ev = _by_type(out)
    assert ev["tool_call"]["status"] == "error"
    assert (ev["retry"]["reason"], ev["retry"]["attempt"]) == ("rate_limit", 3)
    assert (ev["model_call"]["status"], ev["model_call"]["attempt"]) == ("error", 3)
    assert ev["run_finished"]["status"] == "failure"


def _json_span(**over: Any) -> dict[str, Any]:
    span = {
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": "1764583200000000000",
        "endTimeUnixNano": "1764583201500000000",
        "attributes": [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
        ],
        "status": {},
    }
    return {**span, **over}


def _json_body(*spans: dict[str, Any]) -> bytes:
    resource = {
        "attributes": [
            {"key": "agentgauge.customer_id", "value": {"stringValue": "c"}},
            {"key": "service.name", "value": {"stringValue": "svc"}},
        ]
    }
    return orjson.dumps(
        {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]}
    )


def test_json_hex_ids_stay_exact_where_json_format_parse_mangles_them() -> None:
    body = _json_body(_json_span())
    [span] = decode_json(body)
    assert (span.trace_id, span.span_id) == ("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174")
    out = SpanMapper().map([span])
    assert {e["trace_id"] for e in out.events} == {"5b8efff798038103d269b633813fc60c"}
    assert _by_type(out)["model_call"]["input_tokens"] == 42  # intValue as a string
    # Why not json_format.Parse: it reads the ids as base64 and yields other bytes.
    parsed = json_format.Parse(body, ExportTraceServiceRequest())
    wrong = parsed.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert wrong != span.trace_id


def test_unmappable_spans_are_rejected_with_a_reason() -> None:
    spans = decode_json(
        _json_body(
            _json_span(traceId="0" * 32),
            _json_span(spanId="abc"),
            _json_span(endTimeUnixNano="1"),
            _json_span(startTimeUnixNano="0"),
            _json_span(attributes=[{"key": "llm.request.type", "value": {"stringValue": "chat"}}]),
            _json_span(
                attributes=[
                    {"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "-5"}},
                ]
            ),
        )
    )
    out = SpanMapper().map(spans)
    assert [r for _, r in out.rejects] == [
        "trace id '00000000000000000000000000000000' is not 16 non-zero bytes",
        "span id 'abc' is not 8 non-zero bytes",
        "the span ends before it starts",
        "start time 0 ns is not a time between 1970 and 9999",
        "an LLM span without a model name (gen_ai.request.model, gen_ai.response.model or"
        " llm.model_name)",
        "gen_ai.usage.input_tokens must be a non-negative integer, got '-5'",
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"\xff\xfe not json", "invalid JSON"),
        (b"[" * 3000 + b"]" * 3000, "invalid JSON"),
        (b'{"resourceSpans": {"no": "array"}}', "resourceSpans must be an array"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": true}]}]}]}',
            "must be an integer",
        ),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "1e400"}]}]}]}',
            "must be an integer",
        ),
    ],
)
def test_hostile_json_bodies_fail_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message):
        decode_json(body)


def test_hostile_protobuf_bodies_fail_with_a_reason() -> None:
    with pytest.raises(OtlpDecodeError, match="not a protobuf"):
        decode_protobuf(b"\x0a\xff\xff\xff\xff\x0f garbage")
    # A 3,000-deep AnyValue (kvlist in kvlist): upb stops at its recursion limit.
    deep = b""
    for _ in range(3000):  # AnyValue{kvlist_value(6): KeyValueList{values(1): KeyValue{value(2)}}}
        kv = b"\x12" + _varint(len(deep)) + deep
        kvl = b"\x0a" + _varint(len(kv)) + kv
        deep = b"\x32" + _varint(len(kvl)) + kvl
    attr = b"\x0a\x01k\x12" + _varint(len(deep)) + deep  # KeyValue{key, value}
    span = b"\x4a" + _varint(len(attr)) + attr  # Span.attributes (9)
    scope = b"\x12" + _varint(len(span)) + span  # ScopeSpans.spans (2)
    rs = b"\x12" + _varint(len(scope)) + scope  # ResourceSpans.scope_spans (2)
    body = b"\x0a" + _varint(len(rs)) + rs
    with pytest.raises(OtlpDecodeError):
        decode_protobuf(body)
    # Invalid UTF-8 in a string field.
    t, cap = tracer({"service.name": "svc"})
    with t.start_as_current_span("x"):
        pass
    good = encode(cap.spans)
    assert b"svc" in good
    with pytest.raises(OtlpDecodeError):
        decode_protobuf(good.replace(b"svc", b"\xff\xfe\xfd"))


def test_a_megabyte_attribute_and_huge_numbers_map_or_reject_never_crash() -> None:
    big = "x" * 2**20

    def attrs(tokens: str) -> list[dict[str, Any]]:
        return [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "agentgauge.segment", "value": {"stringValue": big}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": tokens}},
            {"key": "llm.cost.total", "value": {"doubleValue": 1e308}},
        ]

    spans = decode_json(
        _json_body(
            _json_span(attributes=attrs("12")),
            _json_span(spanId="2222222222222222", attributes=attrs("99999999999999999999")),
        )
    )
    out = SpanMapper().map(spans)
    assert out.events == []  # both rejected: neither could be sent as a Kafka record
    assert [r for _, r in out.rejects] == [
        "segment is 1,048,576 characters; at most 65,536",
        "gen_ai.usage.input_tokens must be a non-negative integer, got '99999999999999999999'",
    ]
    [span] = decode_json(_json_body(_json_span(attributes=attrs("12")[:1] + attrs("12")[2:])))
    assert len(SpanMapper().map([span]).events) == 3  # the same span without it maps


_KEYS = sorted(K.READ_KEYS | {"metadata", "http.request.resend_count"})
_VALUES = st.one_of(
    st.text(max_size=30),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["chat", "execute_tool", "LLM", "TOOL", "tool", "success", "halted", "{}"]),
)


@settings(max_examples=300, deadline=None)
@given(
    spans=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=12),
            st.booleans(),  # a root?
            st.integers(min_value=0, max_value=3),  # exception events
            st.sampled_from([0, 1, 2]),  # status
        ),
        min_size=1,
        max_size=6,
    ),
    resource=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6),
    default=st.sampled_from([None, "house"]),
)
def test_every_mapped_event_is_valid_whatever_the_attributes(
    spans: list[tuple[dict[str, Any], bool, int, int]], resource: dict[str, Any], default: Any
) -> None:
    """The sink sends mapped events without validating them again: the mapping must only ever
    produce contract-valid events, or reject the span with a reason."""
    made = [
        Span(
            trace_id="ab" * 16,
            span_id=f"{i + 1:016x}",
            parent_span_id="" if root else "00000000000000ff",
            name="s",
            kind=1,
            start_ns=1_764_583_200_000_000_000,
            end_ns=1_764_583_201_000_000_000,
            status_code=status,
            status_message="m",
            attributes=attrs,
            resource=resource,
            events=[
                SpanEvent("exception", 1_764_583_200_500_000_000, {"exception.type": "E"})
                for _ in range(n_exc)
            ],
        )
        for i, (attrs, root, n_exc, status) in enumerate(spans)
    ]
    mapper = SpanMapper(MappingConfig(default_customer=default))
    out = mapper.map(made)
    out.extend(mapper.expire(everything=True))
    for e in out.events:
        validate_event(e)
    assert all(reason for _, reason in out.rejects)
    assert len(out.rejects) + len({e["span_id"] for e in out.events}) <= len(made)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


@given(ns=st.integers(min_value=1, max_value=253_402_300_799 * 10**9 + 999_999_999))
def test_span_times_format_as_the_contract_does(ns: int) -> None:
    seconds, rest = divmod(ns, 10**9)
    expected = format_ts(datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000))
    assert mapping._ts(ns) == expected


def test_state_is_bounded_by_traces_and_held_spans() -> None:
    mapper = SpanMapper(MappingConfig(max_traces=100, max_held=50, hold_s=30))

    def span(trace: int, parent: str) -> Span:
        return Span(
            trace_id=f"{trace + 1:032x}",
            span_id="00000000000000aa",
            parent_span_id=parent,
            name="s",
            kind=1,
            start_ns=1_764_583_200_000_000_000,
            end_ns=1_764_583_201_000_000_000,
            status_code=0,
            status_message="",
            attributes={},
            resource={"service.name": "svc"},
        )

    # 1,000 children without a customer: 50 are held, the rest decided at once (rejected).
    out = mapper.map([span(i, "00000000000000bb") for i in range(1000)], now=0.0)
    assert (out.held, len(out.rejects)) == (50, 950)
    assert mapper.traces <= 150  # 100, plus the ones whose spans are held
    mapper.expire(now=31.0)
    mapper.map([span(i, "") for i in range(2000, 3000)], now=32.0)
    assert mapper.held == 0 and mapper.traces == 100
