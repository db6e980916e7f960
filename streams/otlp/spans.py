"""OTLP trace payloads decoded into one neutral shape, :class:`Span`, whatever the encoding.

Two decoders feed the mapping (:mod:`streams.otlp.mapping`):

- :func:`decode_protobuf`: an ``ExportTraceServiceRequest`` (OTLP/HTTP) or a ``TracesData``
  (what a Collector's Kafka exporter writes with ``otlp_proto``), with the official
  ``opentelemetry-proto`` messages (the ``otlp`` extra; imported on first use);
- :func:`decode_json`: OTLP/JSON, parsed with orjson. ``google.protobuf.json_format.Parse``
  would read the trace and span ids as base64, as the proto3 JSON mapping says for ``bytes``;
  OTLP/JSON writes them as hex, so it silently turns a valid id into different bytes. orjson
  keeps the hex text exactly as sent.

Only scalar attribute values are kept (string, bool, int, double): arrays and key-value lists
carry content (messages, documents), not identity or usage. A span whose ids or times are
unusable is still decoded; the mapping rejects it with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.errors import AgentgaugeError

Attributes = dict[str, str | bool | int | float]

# OTLP Status.code
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2


class OtlpDecodeError(AgentgaugeError):
    """A body (or a Kafka record) is not an OTLP trace payload; the message says why."""

    exit_code = 2


@dataclass(slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Attributes


@dataclass(slots=True)
class Span:
    trace_id: str  # lowercase hex as received; the mapping checks its length
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: Attributes
    resource: Attributes  # shared by every span of one resource
    scope: str = ""
    events: list[SpanEvent] = field(default_factory=list)

    def brief(self) -> dict[str, Any]:
        """What a dead letter keeps of the span: ids, times, status and the attributes the
        mapping reads, with every other attribute's value replaced by its size (attributes
        such as tool arguments and prompts carry content that no sink may hold)."""
        from streams.otlp.keys import READ_KEYS

        def keep(attrs: Attributes) -> dict[str, Any]:
            return {
                k: v if k in READ_KEYS else f"<{type(v).__name__}, {len(str(v))} chars>"
                for k, v in attrs.items()
            }

        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name[:200],
            "kind": self.kind,
            "start_time_unix_nano": self.start_ns,
            "end_time_unix_nano": self.end_ns,
            "status": {"code": self.status_code, "message": self.status_message[:500]},
            "attributes": keep(self.attributes),
            "resource": keep(self.resource),
            "events": [e.name[:100] for e in self.events[:20]],
        }


# -- protobuf ----------------------------------------------------------------------------------


def _pb_attributes(kvs: Any) -> Attributes:
    out: Attributes = {}
    for kv in kvs:
        v = kv.value
        which = v.WhichOneof("value")
        if which == "string_value":
            out[kv.key] = v.string_value
        elif which == "int_value":
            out[kv.key] = v.int_value
        elif which == "double_value":
            out[kv.key] = v.double_value
        elif which == "bool_value":
            out[kv.key] = v.bool_value
    return out


def _pb_spans(resource_spans: Any) -> list[Span]:
    spans: list[Span] = []
    for rs in resource_spans:
        resource = _pb_attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            scope = ss.scope.name
            for s in ss.spans:
                spans.append(
                    Span(
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex(),
                        name=s.name,
                        kind=s.kind,
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        status_code=s.status.code,
                        status_message=s.status.message,
                        attributes=_pb_attributes(s.attributes),
                        resource=resource,
                        scope=scope,
                        events=[
                            SpanEvent(e.name, e.time_unix_nano, _pb_attributes(e.attributes))
                            for e in s.events
                        ],
                    )
                )
    return spans


def decode_protobuf(body: bytes, *, message: str = "request") -> list[Span]:
    """The spans of a protobuf ``ExportTraceServiceRequest`` (``message="request"``) or
    ``TracesData`` (``"traces"``): the two are the same bytes on the wire (field 1, repeated
    ``ResourceSpans``). Raises :class:`OtlpDecodeError` for bytes that are not one."""
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    msg = ExportTraceServiceRequest() if message == "request" else TracesData()
    try:
        # upb refuses nesting past its recursion limit (100) and invalid UTF-8 in strings.
        msg.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise OtlpDecodeError(f"not a protobuf {type(msg).__name__}: {exc}") from None
    return _pb_spans(msg.resource_spans)


# -- JSON --------------------------------------------------------------------------------------


def _json_int(value: Any, what: str) -> int:
    """OTLP/JSON writes 64-bit integers as strings (and may write them as numbers)."""
    if isinstance(value, bool):
        raise OtlpDecodeError(f"{what} must be an integer, got a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) <= 20:
        return int(value)
    if value is None:
        return 0
    raise OtlpDecodeError(f"{what} must be an integer, got {str(value)[:40]!r}")


# The proto3 JSON mapping allows enum names too; OTLP/JSON says integers. Both are read.
_ENUMS = {
    **{
        f"SPAN_KIND_{n}": i
        for i, n in enumerate(
            ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"]
        )
    },
    **{f"STATUS_CODE_{n}": i for i, n in enumerate(["UNSET", "OK", "ERROR"])},
}


def _json_enum(value: Any, what: str) -> int:
    if isinstance(value, str) and value in _ENUMS:
        return _ENUMS[value]
    return _json_int(value, what)


def _json_attributes(kvs: Any, where: str) -> Attributes:
    if kvs is None:
        return {}
    if not isinstance(kvs, list):
        raise OtlpDecodeError(f"{where}.attributes must be an array")
    out: Attributes = {}
    for kv in kvs:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise OtlpDecodeError(f"{where}.attributes: each must be an object with a key")
        v = kv.get("value")
        if not isinstance(v, dict):
            continue  # an empty AnyValue
        key = kv["key"]
        if "stringValue" in v and isinstance(v["stringValue"], str):
            out[key] = v["stringValue"]
        elif "intValue" in v:
            out[key] = _json_int(v["intValue"], f"{where}.attributes[{key!r}]")
        elif "doubleValue" in v:
            d = v["doubleValue"]
            if isinstance(d, int | float) and not isinstance(d, bool):
                out[key] = float(d)
            # "NaN"/"Infinity" strings (the proto3 mapping's non-finite doubles): not kept
        elif "boolValue" in v and isinstance(v["boolValue"], bool):
            out[key] = v["boolValue"]
    return out


def _json_id(value: Any, what: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise OtlpDecodeError(f"{what} must be a hex string")
    return value.lower()


def _obj(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OtlpDecodeError(f"{what} must be an object")
    return value


def _arr(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpDecodeError(f"{what} must be an array")
    return value


def decode_json(body: bytes) -> list[Span]:
    """The spans of an OTLP/JSON ``ExportTraceServiceRequest``. Raises
    :class:`OtlpDecodeError` naming the first thing that is not OTLP/JSON."""
    try:
        data = orjson.loads(body)  # invalid UTF-8 and nesting past 1,024 raise here
    except orjson.JSONDecodeError as exc:
        raise OtlpDecodeError(f"invalid JSON: {exc}") from None
    root = _obj(data, "the body")
    spans: list[Span] = []
    for i, rs in enumerate(_arr(root.get("resourceSpans"), "resourceSpans")):
        where = f"resourceSpans[{i}]"
        rs = _obj(rs, where)
        resource = _json_attributes(
            _obj(rs.get("resource"), f"{where}.resource").get("attributes"), f"{where}.resource"
        )
        for j, ss in enumerate(_arr(rs.get("scopeSpans"), f"{where}.scopeSpans")):
            ss = _obj(ss, f"{where}.scopeSpans[{j}]")
            scope = _obj(ss.get("scope"), "scope").get("name")
            for k, s in enumerate(_arr(ss.get("spans"), f"{where}.scopeSpans[{j}].spans")):
                sw = f"{where}.scopeSpans[{j}].spans[{k}]"
                s = _obj(s, sw)
                status = _obj(s.get("status"), f"{sw}.status")
                name = s.get("name")
                message = status.get("message")
                spans.append(
                    Span(
                        trace_id=_json_id(s.get("traceId"), f"{sw}.traceId"),
                        span_id=_json_id(s.get("spanId"), f"{sw}.spanId"),
                        parent_span_id=_json_id(s.get("parentSpanId"), f"{sw}.parentSpanId"),
                        name=name if isinstance(name, str) else "",
                        kind=_json_enum(s.get("kind"), f"{sw}.kind"),
                        start_ns=_json_int(s.get("startTimeUnixNano"), f"{sw}.startTimeUnixNano"),
                        end_ns=_json_int(s.get("endTimeUnixNano"), f"{sw}.endTimeUnixNano"),
                        status_code=_json_enum(status.get("code"), f"{sw}.status.code"),
                        status_message=message if isinstance(message, str) else "",
                        attributes=_json_attributes(s.get("attributes"), sw),
                        resource=resource,
                        scope=scope if isinstance(scope, str) else "",
                        events=[
                            SpanEvent(
                                str(_obj(e, f"{sw}.events").get("name") or ""),
                                _json_int(e.get("timeUnixNano"), f"{sw}.events.timeUnixNano"),
                                _json_attributes(e.get("attributes"), f"{sw}.events"),
                            )
                            for e in _arr(s.get("events"), f"{sw}.events")
                        ],
                    )
                )
    return spans
