"""LangChain callbacks -> contract events, for agents without OpenTelemetry.

``AgentgaugeCallbackHandler`` makes every root run (a chain, an agent, or a model called on its
own) a :class:`~streams.Run`: ``run_started`` when it starts, ``run_finished`` when it ends;
each chat/LLM call a ``model_call`` (tokens from ``usage_metadata``, else the provider's
``token_usage``; the model from the response, else the invocation parameters), each tool a
``tool_call`` (arguments hashed, never sent), each retry a ``retry``, each failure an ``error``.

The run's budget and breakers apply: a call on a halted run is refused before it is made, and
the crossing call stops the chain with :class:`~streams.BudgetExceeded` (or
:class:`~streams.BreakerOpen`), the run then ending ``halted``. Nothing else the handler does
raises into the chain.

    handler = AgentgaugeCallbackHandler(gauge, workflow="support", customer_id="acme",
                                        segment="enterprise")
    chain.invoke(inputs, config={"callbacks": [handler]})

Identity can also come per invocation, from the root run's metadata (``config={"metadata":
{"agentgauge.customer_id": ...}}``; keys ``workflow``, ``customer_id``, ``segment``,
``prompt_version``, ``policy_version``, with or without the ``agentgauge.`` prefix).

Needs ``langchain-core`` (the ``langchain`` extra); importing this module is the only cost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from streams.client import Gauge
from streams.errors import Halted
from streams.run import Run

log = logging.getLogger(__name__)
_IDENTITY = ("workflow", "customer_id", "segment", "prompt_version", "policy_version")
_TEXT = 1_000


def _guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Only a :class:`Halted` (a budget, a breaker) reaches the chain; anything else the
    handler hits is logged, never raised into the agent."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Halted:
            raise
        except Exception:
            log.exception("agentgauge LangChain handler: %s failed", fn.__name__)

    wrapper.__name__ = fn.__name__
    return wrapper


class AgentgaugeCallbackHandler(BaseCallbackHandler):
    raise_error = True  # for Halted only (see _guarded)

    def __init__(
        self,
        gauge: Gauge,
        *,
        workflow: str,
        customer_id: str,
        segment: str,
        **run_fields: Any,
    ) -> None:
        self._gauge = gauge
        self._identity = {"workflow": workflow, "customer_id": customer_id, "segment": segment}
        self._run_fields = run_fields
        self._lock = threading.Lock()
        self._runs: dict[UUID, Run] = {}  # root run id -> its Run
        self._root: dict[UUID, UUID] = {}  # any run id -> its root's
        self._calls: dict[UUID, tuple[float, str, Any, str | None]] = {}  # start, name, args

    # -- runs ---------------------------------------------------------------------------------
    def _start_root(self, run_id: UUID, metadata: dict[str, Any] | None) -> Run:
        fields = dict(self._identity)
        for key in _IDENTITY:
            for name in (f"agentgauge.{key}", key):
                value = (metadata or {}).get(name)
                if isinstance(value, str) and value:
                    fields[key] = value
                    break
        run = Run(
            self._gauge,
            run_id=str(run_id),
            trace_id=run_id.hex,
            **{**self._run_fields, **fields},
        )
        with self._lock:
            self._runs[run_id] = run
            self._root[run_id] = run_id
        run.__enter__()  # may raise BreakerOpen: the chain does not start
        return run

    def _run_of(self, run_id: UUID, parent_run_id: UUID | None) -> Run | None:
        with self._lock:
            root = self._root.get(run_id)
            if root is None and parent_run_id is not None:
                root = self._root.get(parent_run_id)
                if root is not None:
                    self._root[run_id] = root
            return self._runs.get(root) if root is not None else None

    def _end_root(self, run_id: UUID, error: BaseException | None) -> None:
        with self._lock:
            run = self._runs.pop(run_id, None)
            for child in [c for c, r in self._root.items() if r == run_id]:
                del self._root[child]
        if run is not None:
            run.__exit__(type(error) if error else None, error, None)

    @_guarded
    def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if parent_run_id is None:
            self._start_root(run_id, metadata)
        else:
            self._run_of(run_id, parent_run_id)

    @_guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id in self._runs:
            self._end_root(run_id, None)

    @_guarded
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id in self._runs:
            self._end_root(run_id, error)

    # -- model calls --------------------------------------------------------------------------
    def _model_start(
        self,
        serialized: dict[str, Any] | None,
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        run = self._run_of(run_id, parent_run_id)
        if run is None:  # a model called on its own is a run of one call
            run = self._start_root(run_id, metadata)
        params = kwargs.get("invocation_params") or {}
        model = (
            params.get("model") or params.get("model_name") or (metadata or {}).get("ls_model_name")
        )
        provider = (metadata or {}).get("ls_provider")
        with self._lock:
            self._calls[run_id] = (time.monotonic(), str(model or ""), None, provider)
        run.guard()  # a halted run, or a breaker now open, refuses the call before it is made

    @_guarded
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start(serialized, run_id, parent_run_id, metadata, kwargs)

    @_guarded
    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start(serialized, run_id, parent_run_id, metadata, kwargs)

    def _model_end(self, run_id: UUID, response: Any, error: BaseException | None) -> None:
        with self._lock:
            started, model, _, provider = self._calls.pop(
                run_id, (time.monotonic(), "", None, None)
            )
        run = self._run_of(run_id, None)
        if run is None:
            return
        inputs = outputs = None
        if response is not None:
            usage: dict[str, Any] = {}
            for generations in response.generations or []:
                for g in generations:
                    message = getattr(g, "message", None)
                    meta = getattr(message, "usage_metadata", None) or {}
                    for k in ("input_tokens", "output_tokens"):
                        if isinstance(meta.get(k), int):
                            usage[k] = usage.get(k, 0) + meta[k]
                    name = (getattr(message, "response_metadata", None) or {}).get("model_name")
                    model = name or model
            llm_output = response.llm_output or {}
            token_usage = llm_output.get("token_usage") or llm_output.get("usage") or {}
            inputs = usage.get("input_tokens", token_usage.get("prompt_tokens"))
            outputs = usage.get("output_tokens", token_usage.get("completion_tokens"))
            model = llm_output.get("model_name") or model
        try:
            run.model_call(
                model or "unknown",
                input_tokens=inputs,
                output_tokens=outputs,
                latency_ms=round((time.monotonic() - started) * 1000, 3),
                provider=provider,
                status="error" if error else "ok",
            )
        finally:
            if error is not None:
                run.error("model_failure", code=type(error).__name__, message=str(error)[:_TEXT])
            if self._runs.get(run_id) is run:  # the model was the root: its run ends here
                self._end_root(run_id, error)

    @_guarded
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._model_end(run_id, response, None)

    @_guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if not isinstance(error, Halted):
            self._model_end(run_id, None, error)

    # -- tools and retries --------------------------------------------------------------------
    @_guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        run = self._run_of(run_id, parent_run_id)
        name = (serialized or {}).get("name") or kwargs.get("name") or "tool"
        with self._lock:
            self._calls[run_id] = (time.monotonic(), str(name), inputs or input_str, None)
        if run is not None:
            run.guard(tool_calls=1)

    def _tool_end(self, run_id: UUID, error: BaseException | None) -> None:
        with self._lock:
            started, name, args, _ = self._calls.pop(run_id, (time.monotonic(), "tool", None, None))
        run = self._run_of(run_id, None)
        if run is None:
            return
        try:
            run.tool_call(
                name,
                status="error" if error else "ok",
                args=args,
                latency_ms=round((time.monotonic() - started) * 1000, 3),
            )
        finally:
            if error is not None:
                run.error("tool_error", code=type(error).__name__, message=str(error)[:_TEXT])

    @_guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._tool_end(run_id, None)

    @_guarded
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if not isinstance(error, Halted):
            self._tool_end(run_id, error)

    @_guarded
    def on_retry(
        self, retry_state: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        run = self._run_of(run_id, parent_run_id)
        if run is not None:
            attempt = getattr(retry_state, "attempt_number", None)
            run.retry("transient_error", attempt=attempt + 1 if isinstance(attempt, int) else None)
