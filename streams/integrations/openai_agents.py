"""OpenAI Agents SDK traces -> contract events, for agents without OpenTelemetry.

``AgentgaugeProcessor`` is a ``TracingProcessor``: every trace is a :class:`~streams.Run`
(``run_id`` the trace id, ``trace_id`` its 32 hex digits), each generation or response span a
``model_call`` (model and usage), each function span a ``tool_call`` (input hashed, never
sent), each span error an ``error``. Register it beside (or instead of) the default exporter:

    from agents import add_trace_processor
    add_trace_processor(AgentgaugeProcessor(gauge, customer_id="acme", segment="smb"))

Identity per trace comes from ``trace(..., metadata={"customer_id": ..., "segment": ...})``
(keys with or without ``agentgauge.``); the workflow is the trace's ``workflow_name`` unless
given. The Agents SDK catches what a processor raises, so a budget here never stops the agent
(the job still alerts and opens breakers); to halt, run the agent inside ``gauge.run(...)``.

Needs ``openai-agents`` (the ``openai-agents`` extra); importing this module is the only cost.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from agents.tracing import (
    FunctionSpanData,
    GenerationSpanData,
    ResponseSpanData,
    Span,
    Trace,
    TracingProcessor,
)

from streams.client import Gauge
from streams.errors import Halted
from streams.run import Run

log = logging.getLogger(__name__)
_IDENTITY = ("workflow", "customer_id", "segment", "prompt_version", "policy_version")
_TEXT = 1_000


def _hex32(trace_id: str) -> str | None:
    digits = trace_id.removeprefix("trace_").lower()
    ok = len(digits) == 32 and all(c in "0123456789abcdef" for c in digits)
    return digits if ok else None


def _latency_ms(span: Span[Any]) -> float | None:
    try:
        start = datetime.fromisoformat(str(span.started_at))
        end = datetime.fromisoformat(str(span.ended_at))
    except ValueError:
        return None
    return max((end - start).total_seconds() * 1000, 0.0)


def _usage(data: Any) -> tuple[str | None, int | None, int | None]:
    """(model, input tokens, output tokens) of a generation or response span."""
    if isinstance(data, GenerationSpanData):
        usage = data.usage or {}
        return data.model, usage.get("input_tokens"), usage.get("output_tokens")
    response = getattr(data, "response", None)
    usage_obj = getattr(response, "usage", None)
    return (
        getattr(response, "model", None),
        getattr(usage_obj, "input_tokens", None),
        getattr(usage_obj, "output_tokens", None),
    )


class AgentgaugeProcessor(TracingProcessor):
    def __init__(
        self,
        gauge: Gauge,
        *,
        customer_id: str,
        segment: str,
        workflow: str | None = None,
        **run_fields: Any,
    ) -> None:
        self._gauge = gauge
        self._identity = {"customer_id": customer_id, "segment": segment}
        self._workflow = workflow
        self._run_fields = run_fields
        self._runs: dict[str, Run] = {}
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def on_trace_start(self, trace: Trace) -> None:
        try:
            fields: dict[str, Any] = {"workflow": self._workflow or trace.name, **self._identity}
            metadata = getattr(trace, "metadata", None) or {}
            for key in _IDENTITY:
                for name in (f"agentgauge.{key}", key):
                    value = metadata.get(name)
                    if isinstance(value, str) and value:
                        fields[key] = value
                        break
            run = Run(
                self._gauge,
                run_id=trace.trace_id,
                trace_id=_hex32(trace.trace_id),
                **{**self._run_fields, **fields},
            )
            run.__enter__()
        except Halted as exc:  # a breaker covers this run: said; the SDK cannot be stopped here
            log.warning("agentgauge: trace %s started under an open breaker: %s", trace, exc)
            return
        except Exception:
            log.exception("agentgauge: trace start failed")
            return
        with self._lock:
            self._runs[trace.trace_id] = run

    def on_span_start(self, span: Span[Any]) -> None:
        pass

    def on_span_end(self, span: Span[Any]) -> None:
        run = self._runs.get(span.trace_id)
        if run is None:
            return
        try:
            self._span(run, span)
        except Halted as exc:
            log.warning("agentgauge: run %s is over its budget: %s", run.run_id, exc)
        except Exception:
            log.exception("agentgauge: span mapping failed")

    def _span(self, run: Run, span: Span[Any]) -> None:
        data, error = span.span_data, span.error
        latency = _latency_ms(span)
        if isinstance(data, GenerationSpanData | ResponseSpanData):
            model, inputs, outputs = _usage(data)
            try:
                run.model_call(
                    model or "unknown",
                    input_tokens=inputs,
                    output_tokens=outputs,
                    latency_ms=latency,
                    provider="openai",
                    status="error" if error else "ok",
                )
            finally:
                if error:
                    self._error(run, span, "model_failure")
        elif isinstance(data, FunctionSpanData):
            try:
                run.tool_call(
                    data.name or "tool",
                    status="error" if error else "ok",
                    args=data.input,
                    latency_ms=latency,
                )
            finally:
                if error:
                    self._error(run, span, "tool_error")
        elif error:
            self._error(run, span, "other")
            with self._lock:
                self._failed.add(span.trace_id)

    @staticmethod
    def _error(run: Run, span: Span[Any], category: str) -> None:
        error: dict[str, Any] = dict(span.error or {})
        message = str(error.get("message") or "")[:_TEXT] or None
        run.error(category, code=type(span.span_data).__name__, message=message)

    def on_trace_end(self, trace: Trace) -> None:
        with self._lock:
            run = self._runs.pop(trace.trace_id, None)
            failed = trace.trace_id in self._failed
            self._failed.discard(trace.trace_id)
        if run is None:
            return
        try:
            if run.halted is not None:
                run.finish("halted", reason=run.halted.reason)
            else:
                run.finish("failure" if failed else "success")
        except Exception:
            log.exception("agentgauge: trace end failed")

    def shutdown(self) -> None:
        self._gauge.flush(5.0)

    def force_flush(self) -> None:
        self._gauge.flush(5.0)
