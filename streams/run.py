"""The run context: one agent task execution, with the envelope filled in for every event, and
the run's own budget enforced on the caller's thread."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from streams.contract import SCHEMA_VERSION, format_ts
from streams.errors import BudgetExceeded, Halted
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

    On exit it emits ``run_finished``: ``success``; ``halted`` (with the reason, after an
    ``error`` of category ``budget_exceeded``) when a :class:`~streams.errors.Halted` escapes;
    ``failure`` preceded by an ``error`` event when another exception escapes. Call
    :meth:`finish` to choose another status.

    Budget: ``budget_usd``, ``max_tool_calls``, ``max_tokens`` and ``max_duration_s`` (else the
    workflow's defaults from the gauge's ``ceilings_file``). With the gauge's ``breaker`` setting
    ``halt`` (the default) the call that crosses a limit is emitted, then raises
    :class:`~streams.errors.BudgetExceeded`, and every later call on the run raises at once;
    :meth:`guard` refuses a call that would cross before it is made. With ``alert`` the run is
    never stopped here (the job still alerts).
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
        max_tokens: int | None = None,
        max_duration_s: float | None = None,
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
        self._start_fields = {
            "budget_usd": budget_usd,
            "max_tool_calls": max_tool_calls,
            "max_tokens": max_tokens,
            "max_duration_s": max_duration_s,
        }
        defaults = gauge.run_defaults(workflow)
        self.budget_usd = budget_usd if budget_usd is not None else defaults.budget_usd
        self.max_tool_calls = (
            max_tool_calls if max_tool_calls is not None else defaults.max_tool_calls
        )
        self.max_tokens = max_tokens if max_tokens is not None else defaults.max_tokens
        self.max_duration_s = (
            max_duration_s if max_duration_s is not None else defaults.max_duration_s
        )
        self._halt = gauge.settings.breaker == "halt"
        self._t0 = 0.0
        self.finished = False
        self.cost_usd = 0.0
        self.tool_calls = 0
        self.tokens = 0
        self.halted: BudgetExceeded | None = None

    # -- budget ---------------------------------------------------------------------------
    def _refuse_if_halted(self) -> None:
        if self.halted is not None and self._halt:
            raise self.halted

    def _crossed(
        self, extra_cost: float, extra_tools: int, extra_tokens: int
    ) -> BudgetExceeded | None:
        """The first limit the run's totals plus the extras pass, as an exception."""
        checks: list[tuple[str, float | None, float]] = [
            ("budget_usd", self.budget_usd, self.cost_usd + extra_cost),
            ("max_tool_calls", self.max_tool_calls, self.tool_calls + extra_tools),
            ("max_tokens", self.max_tokens, self.tokens + extra_tokens),
            (
                "max_duration_s",
                self.max_duration_s,
                time.monotonic() - self._t0 if self._t0 else 0.0,
            ),
        ]
        for name, limit, observed in checks:
            if limit is not None and observed > limit:
                return BudgetExceeded(
                    f"run {self.run_id} exceeded {name} {limit:g} ({observed:g})",
                    scope="run",
                    key=self.run_id,
                    limit=float(limit),
                    observed=float(observed),
                )
        return None

    def guard(
        self, *, estimated_cost_usd: float = 0.0, tool_calls: int = 0, tokens: int = 0
    ) -> None:
        """Before a call: raise :class:`~streams.errors.BudgetExceeded` (nothing is emitted) if
        the run is halted or if the call's estimate would take it past a limit."""
        if not self._halt:
            return
        self._refuse_if_halted()
        crossed = self._crossed(estimated_cost_usd, tool_calls, tokens)
        if crossed is not None:
            raise BudgetExceeded(
                f"refused: {crossed.reason}",
                scope="run",
                key=self.run_id,
                limit=crossed.limit,
                observed=crossed.observed,
            )
        self._gauge.check_breakers(self)

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
        # Only what the contract accepts counts: a NaN or negative cost (the event is then
        # rejected and counted invalid) must not disable the budget for the rest of the run.
        if isinstance(cost, int | float) and not isinstance(cost, bool) and 0 <= cost < math.inf:
            self.cost_usd += cost
        self._gauge.emit(event)
        return event

    def _call(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """A call of the agent: refused when the run is halted or a breaker covers it; emitted;
        then checked against the budget (the crossing call is emitted, then raises)."""
        if self._halt:
            self._refuse_if_halted()
            self._gauge.check_breakers(self)
        event = self._emit(event_type, **fields)
        if event_type == "tool_call":
            self.tool_calls += 1
        for name in ("input_tokens", "output_tokens"):
            value = event.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                self.tokens += value
        if self.halted is None:
            crossed = self._crossed(0.0, 0, 0)
            if crossed is not None:
                self.halted = crossed
                if self._halt:
                    raise crossed
        return event

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Run:
        self._gauge.check_breakers(self, starting=True)
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
        if isinstance(exc, Halted):
            category = "budget_exceeded" if isinstance(exc, BudgetExceeded) else "other"
            code = type(exc).__name__
            self.error(category, code=code, message=exc.reason, fatal=True)
            self.finish("halted", reason=exc.reason)
        elif exc is not None:
            self.error(
                "other", code=exc_type.__name__ if exc_type else None, message=str(exc), fatal=True
            )
            self.finish("failure")
        else:
            self.finish("success")

    # -- events ---------------------------------------------------------------------------
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
        """A model call. Unpriced calls of a run with a ``budget_usd`` are priced here, on the
        caller's thread, so the budget sees them at once."""
        if cost_usd is None and self.budget_usd is not None and self._halt:
            priced = self._gauge.price(model, input_tokens, output_tokens)
            if priced is not None:
                cost_usd, version = priced
                attrs = dict(self._base.get("attributes") or {})
                attrs["price_table_version"] = version
                extra = {**extra, "attributes": attrs}
        return self._call(
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
        return self._call(
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
        return self._call("decision", decision=decision, confidence=confidence)

    def retry(
        self, reason: str, *, attempt: int | None = None, strategy: str | None = None
    ) -> dict[str, Any]:
        return self._call("retry", reason=reason, attempt=attempt, strategy=strategy)

    def error(
        self,
        category: str,
        *,
        code: str | None = None,
        message: str | None = None,
        fatal: bool | None = None,
    ) -> dict[str, Any]:
        """Recorded even on a halted run (it is how the run says why it stopped)."""
        return self._emit("error", category=category, code=code, message=message, fatal=fatal)

    def escalate(self, reason: str, *, queue: str | None = None) -> dict[str, Any]:
        return self._emit("escalation", reason=reason, queue=queue)

    def review(self, outcome: str, *, reviewer_id: str | None = None) -> dict[str, Any]:
        return self._emit("human_review", outcome=outcome, reviewer_id=reviewer_id)

    def finish(
        self, status: str, *, quality_score: float | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        self.finished = True
        duration_ms = round((time.monotonic() - self._t0) * 1000, 3)
        return self._emit(
            "run_finished",
            status=status,
            duration_ms=duration_ms,
            quality_score=quality_score,
            reason=reason,
        )
