"""The run context: one agent task execution, with the envelope filled in for every event."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from streams.contract import SCHEMA_VERSION, format_ts
from streams.ids import args_hash, new_event_id, new_span_id, new_trace_id

if TYPE_CHECKING:
    from streams.client import Gauge

_ENVELOPE_OPTIONAL = (
    "session_id",
    "environment",
    "cohort",
    "agent_version",
    "prompt_version",
    "policy_version",
    "attributes",
)


class Run:
    """``with gauge.run(workflow=..., customer_id=..., segment=...) as run:`` then ``run.*``.

    On exit it emits ``run_finished``: ``success``, or ``failure`` preceded by an ``error``
    event when an exception escapes. Call :meth:`finish` to choose another status.
    """

    def __init__(
        self,
        gauge: Gauge,
        *,
        workflow: str,
        customer_id: str,
        segment: str,
        run_id: str | None = None,
        trace_id: str | None = None,
        budget_usd: float | None = None,
        max_tool_calls: int | None = None,
        **envelope: Any,
    ) -> None:
        unknown = set(envelope) - set(_ENVELOPE_OPTIONAL)
        if unknown:
            raise TypeError(f"unknown run fields: {sorted(unknown)}")
        self._gauge = gauge
        self.run_id = run_id or new_event_id()
        self.trace_id = trace_id or new_trace_id()
        self.span_id = new_span_id()
        self._base: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "trace_id": self.trace_id,
            "run_id": self.run_id,
            "workflow": workflow,
            "customer_id": customer_id,
            "segment": segment,
            **{k: v for k, v in envelope.items() if v is not None},
        }
        self._start_fields = {"budget_usd": budget_usd, "max_tool_calls": max_tool_calls}
        self._t0 = 0.0
        self.finished = False
        self.cost_usd = 0.0

    def _emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {
            **self._base,
            "event_id": new_event_id(),
            "event_type": event_type,
            "ts": format_ts(datetime.now(UTC)),
            "span_id": new_span_id(),
            "parent_span_id": self.span_id,
            **{k: v for k, v in fields.items() if v is not None},
        }
        cost = event.get("cost_usd")
        if isinstance(cost, int | float):
            self.cost_usd += cost
        self._gauge.emit(event)
        return event

    def __enter__(self) -> Run:
        self._t0 = time.monotonic()
        self._emit("run_started", **self._start_fields)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.finished:
            return
        if exc is not None:
            self.error(
                "other", code=exc_type.__name__ if exc_type else None, message=str(exc), fatal=True
            )
            self.finish("failure")
        else:
            self.finish("success")

    def model_call(
        self,
        model: str,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
        latency_ms: float | None = None,
        provider: str | None = None,
        attempt: int | None = None,
        status: str = "ok",
        **extra: Any,
    ) -> dict[str, Any]:
        return self._emit(
            "model_call",
            model=model,
            provider=provider,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost_usd,
            latency_ms=latency_ms,
            attempt=attempt,
            status=status,
            **extra,
        )

    def tool_call(
        self,
        tool: str,
        *,
        status: str = "ok",
        args: object = None,
        latency_ms: float | None = None,
        cost_usd: float | None = None,
        attempt: int | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """``args`` is hashed into ``args_hash``; the arguments are never sent."""
        return self._emit(
            "tool_call",
            tool=tool,
            status=status,
            args_hash=args_hash(args) if args is not None else None,
            latency_ms=latency_ms,
            cost_usd=cost_usd,
            attempt=attempt,
            idempotency_key=idempotency_key,
            **extra,
        )

    def decision(self, decision: str, confidence: float | None = None) -> dict[str, Any]:
        return self._emit("decision", decision=decision, confidence=confidence)

    def retry(
        self, reason: str, *, attempt: int | None = None, strategy: str | None = None
    ) -> dict[str, Any]:
        return self._emit("retry", reason=reason, attempt=attempt, strategy=strategy)

    def error(
        self,
        category: str,
        *,
        code: str | None = None,
        message: str | None = None,
        fatal: bool | None = None,
    ) -> dict[str, Any]:
        return self._emit("error", category=category, code=code, message=message, fatal=fatal)

    def escalate(self, reason: str, *, queue: str | None = None) -> dict[str, Any]:
        return self._emit("escalation", reason=reason, queue=queue)

    def review(self, outcome: str, *, reviewer_id: str | None = None) -> dict[str, Any]:
        return self._emit("human_review", outcome=outcome, reviewer_id=reviewer_id)

    def finish(self, status: str, *, quality_score: float | None = None) -> dict[str, Any]:
        self.finished = True
        duration_ms = round((time.monotonic() - self._t0) * 1000, 3)
        return self._emit(
            "run_finished", status=status, duration_ms=duration_ms, quality_score=quality_score
        )
