"""OTLP spans -> contract-v1 events (the table in docs/otlp.md; attribute names in
:mod:`streams.otlp.keys`).

- A trace is a run: ``run_id`` defaults to the trace id (32 lowercase hex), ``trace_id`` is it.
- The root span gives ``run_started`` (its start) and ``run_finished`` (its end, the status
  from the span status); an LLM span a ``model_call``; a tool span a ``tool_call`` (arguments
  hashed, never sent); an exception event or an error status an ``error``; an HTTP resend a
  ``retry``. Other spans (chains, agents, HTTP) give nothing of their own.
- Event ids are deterministic from (trace id, span id, event type): an exporter's retry maps
  to the same ids, which the job de-duplicates.
- Identity (workflow, customer, segment, versions) is read from the span, then from any other
  span of the same trace seen so far, then from the resource. Exporters send children before
  their root (they end first): a span whose trace has not yet named its customer is held for
  up to ``hold_s`` until a span of the trace does, then takes the configured default customer
  or is rejected with the reason.
- An exception recorded on a span and on its ancestors as it propagates (the OTel SDK records
  it on every span it leaves) is one error, on the deepest span seen first.

State is bounded: at most ``max_traces`` traces remembered and ``max_held`` spans held; past
those, the oldest trace is forgotten and a span is decided at once.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.contract import INT64_MAX, RUN_STATUSES
from streams.ids import args_hash
from streams.otlp import keys as K
from streams.otlp.spans import STATUS_ERROR, Attributes, Span

_MAX_NS = 253_402_300_799 * 10**9  # 9999-12-31T23:59:59Z
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
_HEX = frozenset("0123456789abcdef")
_MAX_METADATA_CHARS = 65_536
_MAX_SPANS_PER_TRACE = 10_000  # parents and errors remembered per trace
_MAX_REMEMBERED = 2_000_000  # and in all (~200 MB at most); past it, errors may repeat
_TEXT_CHARS = 1_000  # error messages and codes
_MAX_FIELD_CHARS = 65_536  # any text field of an event (identity, model, tool)


_CATEGORY = {"tool": "tool_error", "llm": "model_failure"}


class Rejected(Exception):
    """A span that cannot be mapped; the message is the reason (internal to the mapping)."""


@dataclass(frozen=True)
class MappingConfig:
    default_customer: str | None = None
    default_segment: str = "default"
    hold_s: float = 30.0  # 0: decide every span at once (the bridge)
    max_traces: int = 50_000
    max_held: int = 100_000


@dataclass
class Outcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[tuple[Span, str]] = field(default_factory=list)
    held: int = 0  # spans waiting for their trace's identity

    def extend(self, other: Outcome) -> None:
        self.events += other.events
        self.rejects += other.rejects
        self.held += other.held


@dataclass
class _Trace:
    identity: dict[str, str] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, tuple[str, str]]] = field(default_factory=list)
    held: list[Span] = field(default_factory=list)
    held_since: float = 0.0
    root_seen: bool = False


def _metadata(attrs: Attributes) -> Attributes:
    """OpenInference ``metadata``: a JSON object as text; its scalar values as ``metadata.x``."""
    raw = attrs.get("metadata")
    if not isinstance(raw, str) or len(raw) > _MAX_METADATA_CHARS or not raw.startswith("{"):
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        f"metadata.{k}": v
        for k, v in data.items()
        if isinstance(v, str | int | float | bool) and not isinstance(v, bool)
    }


def _first(attrs: Attributes, names: tuple[str, ...]) -> Any:
    for name in names:
        value = attrs.get(name)
        if value is not None and value != "":
            return value
    return None


def _named(attrs: Attributes, names: tuple[str, ...]) -> tuple[str, Any]:
    """(the attribute name found, its value), or ("", None)."""
    for name in names:
        value = attrs.get(name)
        if value is not None and value != "":
            return name, value
    return "", None


def _count(attrs: Attributes, names: tuple[str, ...]) -> int | None:
    """A token count: a non-negative integer within int64, else the span is rejected."""
    name, value = _named(attrs, names)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int or not 0 <= value <= INT64_MAX:
        raise Rejected(f"{name} must be a non-negative integer, got {str(value)[:40]!r}")
    return value


def _amount(attrs: Attributes, names: tuple[str, ...]) -> float | None:
    """A cost or budget in USD: a finite number >= 0, else the span is rejected."""
    name, value = _named(attrs, names)
    if value is None:
        return None
    if type(value) not in (int, float) or not 0 <= value < math.inf:
        raise Rejected(f"{name} must be a finite number >= 0, got {str(value)[:40]!r}")
    return float(value)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# attribute name -> (identity field, rank): a span's few attributes are looked up here, rather
# than every known name in every span.
_IDENTITY_INDEX: dict[str, tuple[str, int]] = {
    name: (target, rank) for target, names in K.IDENTITY.items() for rank, name in enumerate(names)
}


def _ranked(attrs: Attributes) -> dict[str, tuple[int, str]]:
    """The identity fields one attribute set names (OpenInference ``metadata`` included), each
    with the rank of the name it came from (0: the first name of its row in docs/otlp.md)."""
    best: dict[str, tuple[int, str]] = {}
    items: Iterable[tuple[str, Any]] = attrs.items()
    if "metadata" in attrs:
        items = [*items, *_metadata(attrs).items()]
    for key, value in items:
        hit = _IDENTITY_INDEX.get(key)
        if hit is None:
            continue
        target, rank = hit
        text = _text(value)
        if text and (target not in best or rank < best[target][0]):
            best[target] = (rank, text)
    return best


def _identity(attrs: Attributes) -> dict[str, str]:
    return {target: text for target, (_, text) in _ranked(attrs).items()}


def _ts(ns: int) -> str:
    """RFC 3339 UTC with milliseconds, as :func:`streams.contract.format_ts` writes it (a
    quarter of its cost: two per span)."""
    seconds, rest = divmod(ns, 10**9)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
        f"{t.tm_sec:02d}.{rest // 1_000_000:03d}Z"
    )


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and set(value) <= _HEX


def _check(span: Span) -> None:
    if not _is_hex(span.trace_id, 32) or span.trace_id == _ZERO_TRACE:
        raise Rejected(f"trace id {span.trace_id[:40]!r} is not 16 non-zero bytes")
    if not _is_hex(span.span_id, 16) or span.span_id == _ZERO_SPAN:
        raise Rejected(f"span id {span.span_id[:40]!r} is not 8 non-zero bytes")
    if span.parent_span_id and not _is_hex(span.parent_span_id, 16):
        raise Rejected(f"parent span id {span.parent_span_id[:40]!r} is not 8 bytes")
    if not 0 < span.start_ns <= _MAX_NS:
        raise Rejected(f"start time {span.start_ns} ns is not a time between 1970 and 9999")
    if not 0 < span.end_ns <= _MAX_NS:
        raise Rejected(f"end time {span.end_ns} ns is not a time between 1970 and 9999")
    if span.end_ns < span.start_ns:
        raise Rejected("the span ends before it starts")


def _kind(attrs: Attributes) -> str:
    """``tool``, ``llm`` or ``other``."""
    op = attrs.get(K.OPERATION)
    oi = attrs.get(K.OPENINFERENCE_KIND)
    if op in K.TOOL_OPERATIONS or oi == "TOOL" or attrs.get(K.TRACELOOP_KIND) == "tool":
        return "tool"
    if op in K.LLM_OPERATIONS or oi in K.OPENINFERENCE_LLM or K.TRACELOOP_REQUEST_TYPE in attrs:
        return "llm"
    has_model = _first(attrs, K.MODEL) is not None
    has_usage = _first(attrs, (*K.INPUT_TOKENS, *K.OUTPUT_TOKENS)) is not None
    return "llm" if has_model and has_usage else "other"


def events_bound(span: Span) -> int:
    """Most events one span can become: a model or tool call, a retry, an error per exception
    event (or one for an error status), and run_started + run_finished for a root."""
    return 3 + len(span.events) + (0 if span.parent_span_id else 2)


class SpanMapper:
    """Maps batches of spans to events, remembering what each trace has said (bounded)."""

    def __init__(self, config: MappingConfig | None = None) -> None:
        self.config = config or MappingConfig()
        self._traces: OrderedDict[str, _Trace] = OrderedDict()
        self._held = 0
        self._held_bound = 0  # most events the held spans can become
        self._remembered = 0  # parents and errors over all traces

    @property
    def held(self) -> int:
        return self._held

    @property
    def held_events_bound(self) -> int:
        """Most events the held spans can become, when they are released."""
        return self._held_bound

    @property
    def traces(self) -> int:
        """How many traces' identity is remembered (at most ``max_traces``)."""
        return len(self._traces)

    def _trace(self, trace_id: str) -> _Trace:
        tr = self._traces.get(trace_id)
        if tr is None:
            tr = self._traces[trace_id] = _Trace()
            # Forget the oldest traces; one with spans held waits for its expiry (held spans
            # are bounded by max_held), so it goes to the back.
            for _ in range(len(self._traces)):
                if len(self._traces) <= self.config.max_traces:
                    break
                old_id, old = next(iter(self._traces.items()))
                if old.held:
                    self._traces.move_to_end(old_id)
                    continue
                self._remembered -= len(old.parents) + len(old.errors)
                del self._traces[old_id]
        else:
            self._traces.move_to_end(trace_id)
        return tr

    def map(self, spans: list[Span], now: float | None = None) -> Outcome:
        now = time.monotonic() if now is None else now
        out = Outcome()
        # First what the batch says of each trace, so that a child mapped before its root in
        # the same batch already has the root's identity.
        ready: list[tuple[Span, _Trace]] = []
        idents: dict[int, dict[str, str]] = {}
        resources: dict[int, dict[str, str]] = {}  # spans of one resource share its dict
        for span in spans:
            try:
                _check(span)
            except Rejected as exc:
                out.rejects.append((span, str(exc)))
                continue
            tr = self._trace(span.trace_id)
            ranked = _ranked(span.attributes)
            idents[id(span)] = {k: v for k, (_, v) in ranked.items()}
            for k, (rank, v) in ranked.items():  # the trace keeps the best-ranked name's value
                if k not in tr.identity or rank < tr.ranks[k]:
                    tr.identity[k], tr.ranks[k] = v, rank
            tr.root_seen |= not span.parent_span_id
            if len(tr.parents) < _MAX_SPANS_PER_TRACE and self._remembered < _MAX_REMEMBERED:
                if span.span_id not in tr.parents:
                    self._remembered += 1
                tr.parents[span.span_id] = span.parent_span_id
            ready.append((span, tr))
        released: set[str] = set()
        for span, tr in ready:
            res = resources.get(id(span.resource))
            if res is None:
                res = resources[id(span.resource)] = _identity(span.resource)
            self._one(span, tr, now, out, own=idents[id(span)], res=res)
            if tr.held and ("customer_id" in tr.identity or tr.root_seen):
                released.add(span.trace_id)
        for trace_id in released:
            out.extend(self._release(trace_id, now))
        out.held = self._held
        return out

    def expire(self, now: float | None = None, *, everything: bool = False) -> Outcome:
        """Decide the held spans of traces that waited ``hold_s`` (or all, at shutdown): the
        default customer, else rejected."""
        now = time.monotonic() if now is None else now
        out = Outcome()
        due = [
            t
            for t, tr in self._traces.items()
            if tr.held and (everything or now - tr.held_since >= self.config.hold_s)
        ]
        for trace_id in due:
            out.extend(self._release(trace_id, now, final=True))
        out.held = self._held
        return out

    def _release(self, trace_id: str, now: float, *, final: bool = False) -> Outcome:
        out = Outcome()
        tr = self._traces[trace_id]
        spans, tr.held = tr.held, []
        self._held -= len(spans)
        self._held_bound -= sum(events_bound(s) for s in spans)
        for span in spans:
            self._one(span, tr, now, out, final=final)
        return out

    def _one(
        self,
        span: Span,
        tr: _Trace,
        now: float,
        out: Outcome,
        final: bool = False,
        own: dict[str, str] | None = None,
        res: dict[str, str] | None = None,
    ) -> None:
        ident = dict(_identity(span.resource) if res is None else res)
        ident.update(tr.identity)
        ident.update(_identity(span.attributes) if own is None else own)
        if "workflow" not in ident:
            fallback = _text(span.resource.get(K.WORKFLOW_FALLBACK))
            if fallback:
                ident["workflow"] = fallback
        if "customer_id" not in ident:
            # A child may wait for its trace to name the customer (its root comes last); once
            # the root was seen, nothing more is coming.
            wait = not final and span.parent_span_id and not tr.root_seen
            if wait and self.config.hold_s > 0 and self._held < self.config.max_held:
                if self._traces.get(span.trace_id) is not tr:  # forgotten within this batch
                    self._traces[span.trace_id] = tr
                    self._remembered += len(tr.parents) + len(tr.errors)
                if not tr.held:
                    tr.held_since = now
                tr.held.append(span)
                self._held += 1
                self._held_bound += events_bound(span)
                return
            if self.config.default_customer is None:
                out.rejects.append(
                    (
                        span,
                        "no customer id: set agentgauge.customer_id (or user.id) on the span,"
                        " its resource or through baggage, or configure a default customer",
                    )
                )
                return
            ident["customer_id"] = self.config.default_customer
        if "workflow" not in ident:
            out.rejects.append(
                (span, "no workflow: set agentgauge.workflow, gen_ai.agent.name or service.name")
            )
            return
        ident.setdefault("segment", self.config.default_segment)
        ident.setdefault("run_id", span.trace_id)
        try:
            out.events += self._events(span, ident, tr)
        except Rejected as exc:
            out.rejects.append((span, str(exc)))

    # -- one span -------------------------------------------------------------------------------
    def _events(self, span: Span, ident: dict[str, str], tr: _Trace) -> list[dict[str, Any]]:
        attrs = span.attributes
        kind = _kind(attrs)
        base: dict[str, Any] = {
            "schema_version": "1.0",
            "trace_id": span.trace_id,
            "span_id": span.span_id,
            **ident,
            "attributes": {"ingest": "otlp"},
        }
        if span.parent_span_id:
            base["parent_span_id"] = span.parent_span_id
        failed = span.status_code == STATUS_ERROR
        latency_ms = (span.end_ns - span.start_ns) / 1e6
        raw_resend = attrs.get(K.RESEND_COUNT)
        resend = raw_resend if type(raw_resend) is int and raw_resend < INT64_MAX else 0
        retried = resend >= 1
        events: list[dict[str, Any]] = []

        def event(event_type: str, ns: int, suffix: str = "", **fields: Any) -> None:
            events.append(
                {
                    **base,
                    "event_id": f"otlp-{span.trace_id}-{span.span_id}-{event_type}{suffix}",
                    "event_type": event_type,
                    "ts": _ts(ns),
                    **{k: v for k, v in fields.items() if v is not None},
                }
            )

        if not span.parent_span_id:
            event("run_started", span.start_ns, budget_usd=_amount(attrs, K.BUDGET))
        if kind == "llm":
            model = _text(_first(attrs, K.MODEL))
            if not model:
                raise Rejected(
                    "an LLM span without a model name (gen_ai.request.model,"
                    " gen_ai.response.model or llm.model_name)"
                )
            cache = {
                "cache_read_tokens": _count(attrs, K.CACHE_READ_TOKENS),
                "cache_write_tokens": _count(attrs, K.CACHE_WRITE_TOKENS),
            }
            base_attrs = {**base["attributes"], **{k: v for k, v in cache.items() if v}}
            event(
                "model_call",
                span.end_ns,
                model=model,
                provider=_text(_first(attrs, K.PROVIDER)),
                input_tokens=_count(attrs, K.INPUT_TOKENS),
                output_tokens=_count(attrs, K.OUTPUT_TOKENS),
                cost_usd=_amount(attrs, K.COST),
                latency_ms=latency_ms,
                attempt=resend + 1 if retried else None,
                status="error" if failed else "ok",
                attributes=base_attrs,
            )
        elif kind == "tool":
            tool = _text(_first(attrs, K.TOOL_NAME)) or span.name
            if not tool:
                raise Rejected("a tool span without a tool name (gen_ai.tool.name or tool.name)")
            args = _first(attrs, K.TOOL_ARGS)
            event(
                "tool_call",
                span.end_ns,
                tool=tool[:200],
                status="error" if failed else "ok",
                latency_ms=latency_ms,
                attempt=resend + 1 if retried else None,
                args_hash=None if args is None else args_hash(args),
            )
        if retried:
            status = attrs.get(K.HTTP_STATUS)
            err = str(attrs.get(K.ERROR_TYPE, "")).lower()
            reason = "timeout" if "timeout" in err else "transient_error"
            if status == 429:
                reason = "rate_limit"
            event("retry", span.end_ns, reason=reason, attempt=resend + 1)
        self._errors(span, kind, tr, event)
        if not span.parent_span_id:
            declared = _text(_first(attrs, K.RUN_STATUS))
            if declared is not None and declared not in RUN_STATUSES:
                raise Rejected(f"agentgauge.run_status must be one of {RUN_STATUSES}")
            status = declared or ("failure" if failed else "success")
            event("run_finished", span.end_ns, status=status, duration_ms=latency_ms)
        for e in events:  # every event must fit one Kafka record (1 MB by default)
            for name, value in e.items():
                if type(value) is str and len(value) > _MAX_FIELD_CHARS:
                    raise Rejected(
                        f"{name} is {len(value):,} characters; at most {_MAX_FIELD_CHARS:,}"
                    )
        return events

    def _errors(self, span: Span, kind: str, tr: _Trace, event: Any) -> None:
        if not span.events and span.status_code != STATUS_ERROR:
            return
        category = _CATEGORY.get(kind, "other")
        exceptions = [e for e in span.events if e.name == "exception"]
        for i, exc in enumerate(exceptions):
            etype = str(exc.attributes.get(K.EXCEPTION_TYPE, ""))[:_TEXT_CHARS]
            message = str(exc.attributes.get(K.EXCEPTION_MESSAGE, ""))[:_TEXT_CHARS]
            key = (etype, message[:200])
            seen = any(k == key and self._below(s, span.span_id, tr) for s, k in tr.errors)
            if len(tr.errors) < _MAX_SPANS_PER_TRACE and self._remembered < _MAX_REMEMBERED:
                self._remembered += 1
                tr.errors.append((span.span_id, key))
            if seen:
                continue  # the same exception, recorded again as it left a child span
            cat = "timeout" if "timeout" in etype.lower() else category
            ns = exc.time_ns if 0 < exc.time_ns <= _MAX_NS else span.end_ns
            event("error", ns, f"-{i}", category=cat, code=etype or None, message=message or None)
        if not exceptions and span.status_code == STATUS_ERROR and kind != "other":
            code = _text(span.attributes.get(K.ERROR_TYPE))
            cat = "timeout" if code and "timeout" in code.lower() else category
            event(
                "error",
                span.end_ns,
                category=cat,
                code=code[:_TEXT_CHARS] if code else None,
                message=span.status_message[:_TEXT_CHARS] or None,
            )

    @staticmethod
    def _below(descendant: str, ancestor: str, tr: _Trace) -> bool:
        """Whether ``descendant`` is ``ancestor`` or below it, as far as the trace knows."""
        node, steps = descendant, 0
        while node and steps < 256:
            if node == ancestor:
                return True
            node = tr.parents.get(node, "")
            steps += 1
        return False
