"""The framework adapters with the real frameworks: langchain-core's fake chat model, a real
tool and chain; the real openai-agents tracing API and processor interface. Events read back
from the real broker."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

from streams import BudgetExceeded, Gauge
from streams.contract import validate_event
from streams.integrations.langchain import AgentgaugeCallbackHandler
from tests.support.kafka import isolated_settings, read_json


def _reply(n_in: int, n_out: int) -> AIMessage:
    return AIMessage(
        content="ok",
        usage_metadata={"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out},
        response_metadata={"model_name": "gpt-4o"},
    )


@tool
def lookup_order(order_id: str, card: str) -> str:
    """Look an order up."""
    if order_id == "missing":
        raise ValueError("no such order")
    return "shipped"


def _events(s: Any) -> list[dict[str, Any]]:
    events = read_json(s, s.topic_events)
    for e in events:
        validate_event(e)
    return events


def test_langchain_chain_llm_and_tool_callbacks(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var", controls=False)
    model = GenericFakeChatModel(messages=iter([_reply(120, 30), _reply(80, 10)]))

    def agent(question: str) -> str:
        model.invoke(question)
        lookup_order.invoke({"order_id": "A-1", "card": "4111 1111 1111 1111"})
        with contextlib.suppress(ValueError):
            lookup_order.invoke({"order_id": "missing", "card": "x"})
        return str(model.invoke("summarise").content)

    with Gauge(s) as gauge:
        handler = AgentgaugeCallbackHandler(
            gauge, workflow="support", customer_id="acme", segment="enterprise"
        )
        chain = RunnableLambda(agent)
        assert chain.invoke("where is A-1?", config={"callbacks": [handler]}) == "ok"
        assert gauge.flush(30)
    events = _events(s)
    kinds = Counter(e["event_type"] for e in events)
    assert kinds == {
        "run_started": 1,
        "model_call": 2,
        "tool_call": 2,
        "error": 1,
        "run_finished": 1,
    }
    assert len({e["run_id"] for e in events}) == 1 and len({e["trace_id"] for e in events}) == 1
    calls = [e for e in events if e["event_type"] == "model_call"]
    assert [(c["model"], c["input_tokens"], c["output_tokens"]) for c in calls] == [
        ("gpt-4o", 120, 30),
        ("gpt-4o", 80, 10),
    ]
    tools = sorted((e["tool"], e["status"]) for e in events if e["event_type"] == "tool_call")
    assert tools == [("lookup_order", "error"), ("lookup_order", "ok")]
    error = next(e for e in events if e["event_type"] == "error")
    assert (error["category"], error["code"], error["message"]) == (
        "tool_error",
        "ValueError",
        "no such order",
    )
    assert next(e for e in events if e["event_type"] == "run_finished")["status"] == "success"
    assert "4111" not in orjson.dumps(events).decode()  # tool arguments are hashed


def test_langchain_budget_halts_the_chain(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var", controls=False)
    model = GenericFakeChatModel(messages=iter([_reply(1000, 0)] * 10))
    calls = 0

    def agent(_: str) -> str:
        nonlocal calls
        for _ in range(10):
            model.invoke("again")
            calls += 1
        return "done"

    with Gauge(s) as gauge:
        handler = AgentgaugeCallbackHandler(
            gauge, workflow="support", customer_id="acme", segment="smb", max_tokens=2500
        )
        with pytest.raises(BudgetExceeded, match="max_tokens 2500"):
            RunnableLambda(agent).invoke("go", config={"callbacks": [handler]})
        assert gauge.flush(30)
    assert calls == 2  # the third call crossed 2,500 tokens and stopped the chain
    events = _events(s)
    finished = next(e for e in events if e["event_type"] == "run_finished")
    assert finished["status"] == "halted" and "max_tokens" in finished["reason"]
    assert [e["category"] for e in events if e["event_type"] == "error"] == ["budget_exceeded"]


def test_openai_agents_processor(broker: Any, tmp_path: Path) -> None:
    from agents.tracing import (
        function_span,
        generation_span,
        set_trace_processors,
        trace,
    )

    from streams.integrations.openai_agents import AgentgaugeProcessor

    s = isolated_settings(broker, tmp_path / "var", controls=False)
    with Gauge(s) as gauge:
        processor = AgentgaugeProcessor(gauge, customer_id="default-cust", segment="smb")
        set_trace_processors([processor])  # ours only: nothing is exported to OpenAI
        try:
            with trace("refund_agent", metadata={"customer_id": "acme"}) as t:
                with generation_span(
                    model="gpt-4o-mini", usage={"input_tokens": 50, "output_tokens": 12}
                ):
                    pass
                with function_span("issue_refund", input='{"card": "4111"}') as fn:
                    fn.set_error({"message": "refund API down", "data": None})
                trace_id = t.trace_id
        finally:
            set_trace_processors([])
        assert gauge.flush(30)
    events = _events(s)
    assert Counter(e["event_type"] for e in events) == {
        "run_started": 1,
        "model_call": 1,
        "tool_call": 1,
        "error": 1,
        "run_finished": 1,
    }
    for e in events:
        assert e["run_id"] == trace_id and e["trace_id"] == trace_id.removeprefix("trace_")
        assert (e["workflow"], e["customer_id"], e["segment"]) == ("refund_agent", "acme", "smb")
    call = next(e for e in events if e["event_type"] == "model_call")
    assert (call["model"], call["input_tokens"], call["output_tokens"]) == ("gpt-4o-mini", 50, 12)
    fn_event = next(e for e in events if e["event_type"] == "tool_call")
    assert (fn_event["tool"], fn_event["status"]) == ("issue_refund", "error")
    assert next(e for e in events if e["event_type"] == "error")["message"] == "refund API down"
    assert "4111" not in orjson.dumps(events).decode()


def test_the_sdk_imports_no_framework() -> None:
    """The adapters and the OTLP decoder cost nothing until used: importing the SDK and the
    OTLP mapping loads neither a framework nor OpenTelemetry."""
    code = (
        "import sys, streams, streams.client, streams.otlp.mapping, streams.otlp.sink;"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'langchain_core', 'agents', 'openai', 'opentelemetry', 'google'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert out.stdout.strip() == "[]"
