"""A run enforces its own budget on the caller's thread, against the real embedded broker: the
crossing call is emitted and raises, later calls raise at once, ``guard`` refuses ahead, and the
run ends ``halted`` with its reason. It still halts with no broker at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from agentgauge.settings import AppSettings
from streams import BudgetExceeded, Gauge, Halted
from streams.packaged import config_file
from tests.support.kafka import read_topic

# gpt-4o: $2.50 per M input tokens, so 2,000 input tokens cost $0.005.
CALL_COST = 2000 * 2.5 / 1e6


def _events(s: AppSettings) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in read_topic(s, s.topic_events)]


def test_cost_budget_halts_on_the_crossing_call(settings: AppSettings) -> None:
    with Gauge(settings) as gauge:
        run = gauge.run(workflow="wf", customer_id="c", segment="s", budget_usd=0.012)
        with pytest.raises(BudgetExceeded) as raised, run:
            run.model_call("gpt-4o", input_tokens=2000)  # $0.005
            run.model_call("gpt-4o", input_tokens=2000)  # $0.010
            try:
                run.model_call("gpt-4o", input_tokens=2000)  # $0.015: emitted, then raises
            except BudgetExceeded:
                with pytest.raises(BudgetExceeded):  # every later call raises at once
                    run.tool_call("search", args={"q": 1})
                raise
        assert gauge.flush(10)
    err = raised.value
    assert isinstance(err, Halted) and err.scope == "run" and err.key == run.run_id
    assert err.limit == 0.012 and err.observed == pytest.approx(3 * CALL_COST)
    assert "budget_usd" in err.reason
    events = _events(settings)
    assert [e["event_type"] for e in events] == [
        "run_started",
        "model_call",
        "model_call",
        "model_call",
        "error",
        "run_finished",
    ]
    assert events[0]["budget_usd"] == 0.012
    assert [e["cost_usd"] for e in events[1:4]] == pytest.approx([CALL_COST] * 3)  # priced here
    assert events[4]["category"] == "budget_exceeded" and events[4]["fatal"] is True
    assert events[5]["status"] == "halted" and events[5]["reason"] == err.reason


def test_guard_refuses_a_call_that_would_cross(settings: AppSettings) -> None:
    with Gauge(settings) as gauge:
        with gauge.run(workflow="wf", customer_id="c", segment="s", budget_usd=0.01) as run:
            run.model_call("gpt-4o", input_tokens=2000)
            run.guard(estimated_cost_usd=0.004)  # 0.009: fine
            with pytest.raises(BudgetExceeded, match="refused") as refused:
                run.guard(estimated_cost_usd=0.006)  # 0.011: refused, nothing emitted
            assert refused.value.observed == pytest.approx(0.011)
            run.model_call("gpt-4o", input_tokens=1000)  # a smaller call still goes ahead
        assert gauge.flush(10)
    events = _events(settings)
    assert [e["event_type"] for e in events] == [
        "run_started",
        "model_call",
        "model_call",
        "run_finished",
    ]
    assert events[-1]["status"] == "success"


@pytest.mark.parametrize(
    ("limit", "calls", "field"),
    [
        ({"max_tool_calls": 2}, 3, "max_tool_calls"),
        ({"max_tokens": 5000}, 3, "max_tokens"),
        ({"max_duration_s": 1e-6}, 1, "max_duration_s"),
    ],
)
def test_tool_token_and_time_budgets(
    settings: AppSettings, limit: dict[str, Any], calls: int, field: str
) -> None:
    with Gauge(settings) as gauge:
        made = 0
        run = gauge.run(workflow="wf", customer_id="c", segment="s", **limit)
        with pytest.raises(BudgetExceeded, match=field), run:
            for _ in range(5):
                made += 1
                if field == "max_tokens":
                    run.model_call("gpt-4o", input_tokens=2000)
                else:
                    run.tool_call("search", args={"q": made})
        assert made == calls  # the crossing call was the last one made
        assert gauge.flush(10)
    events = _events(settings)
    assert events[0][field] == limit[field]
    assert events[-1]["status"] == "halted"


def test_alert_mode_never_stops_the_run(settings: AppSettings) -> None:
    s = settings.model_copy(update={"breaker": "alert"})
    with Gauge(s) as gauge:
        with gauge.run(workflow="wf", customer_id="c", segment="s", max_tool_calls=1) as run:
            for k in range(3):
                run.tool_call("search", args={"q": k})
            run.guard(tool_calls=5)  # never refuses in alert mode
        assert gauge.flush(10)
    events = _events(s)
    assert [e["event_type"] for e in events].count("tool_call") == 3
    assert events[-1]["status"] == "success"


def test_workflow_defaults_from_a_ceilings_file(settings: AppSettings, tmp_path: Path) -> None:
    ceilings = tmp_path / "ceilings.yaml"
    text = (
        config_file("ceilings.yaml")
        .read_text()
        .replace(
            "code_review: {run_cost_usd: 3.00, run_tool_calls: 40}",
            "code_review: {run_cost_usd: 3.00, run_tool_calls: 40, run_tokens: 3000}",
        )
    )
    assert "run_tokens: 3000" in text
    ceilings.write_text(text)
    s = settings.model_copy(update={"ceilings_file": ceilings})
    with Gauge(s) as gauge:
        run = gauge.run(workflow="code_review", customer_id="c", segment="s")
        assert (run.budget_usd, run.max_tool_calls, run.max_tokens) == (3.0, 40, 3000)
        with pytest.raises(BudgetExceeded, match="max_tokens 3000"), run:
            run.model_call("claude-sonnet-4", input_tokens=2000)
            run.model_call("claude-sonnet-4", input_tokens=2000)
        other = gauge.run(workflow="doc_qa", customer_id="c", segment="s", max_tool_calls=7)
        assert (other.budget_usd, other.max_tool_calls, other.max_tokens) == (1.0, 7, None)


def test_local_budgets_halt_with_the_broker_down(tmp_path: Path) -> None:
    s = AppSettings(bootstrap_servers="127.0.0.1:1", var_dir=tmp_path, emit_block_ms=0.0)
    gauge = Gauge(s)
    try:
        with (
            pytest.raises(BudgetExceeded),
            gauge.run(workflow="wf", customer_id="c", segment="s", budget_usd=0.006) as run,
        ):
            run.model_call("gpt-4o", input_tokens=2000)
            run.model_call("gpt-4o", input_tokens=2000)
        st = gauge.stats()
        assert st.emitted == 5 == st.queued + st.sent + st.failed + st.dropped + st.invalid
    finally:
        gauge.close(0.5)


def test_a_bad_cost_does_not_disable_the_budget(settings: AppSettings) -> None:
    """A NaN, infinite or negative cost (the event is rejected, counted invalid) leaves the run's
    total as it was: the next real call still crosses."""
    with Gauge(settings) as gauge:
        run = gauge.run(workflow="wf", customer_id="c", segment="s", budget_usd=0.008)
        with pytest.raises(BudgetExceeded), run:
            for bad in (float("nan"), float("inf"), -5.0):
                run.model_call("gpt-4o", cost_usd=bad)
            assert run.cost_usd == 0.0
            run.model_call("gpt-4o", input_tokens=2000)  # $0.005
            run.model_call("gpt-4o", input_tokens=2000)  # $0.010: crosses
        assert gauge.flush(10)
        assert gauge.stats().invalid == 3
