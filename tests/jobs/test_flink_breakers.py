"""The job opens breakers itself: a run's when a per-run rule fires, a customer's when its hourly
ceiling does; each is a control record on agent-controls and a breaker_opened alert, once, also
across a re-run; and an agent process started afterwards is refused for that customer."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentgauge.wiring import job_config
from jobs.runner import run_bounded
from streams.ceilings import Ceilings
from streams.client import Gauge
from streams.contract import format_ts
from tests.support.kafka import isolated_settings, read_json

pytestmark = pytest.mark.flink

AGENT = """
import sys
from streams import BreakerOpen, Gauge, load_settings
with Gauge(load_settings()) as gauge:
    try:
        with gauge.run(workflow="wf", customer_id=sys.argv[1], segment="s") as run:
            run.model_call("gpt-4o", input_tokens=10)
        print("ran")
    except BreakerOpen as exc:
        print(f"refused {exc.scope} {exc.key}")
"""


def _event(
    run: str, n: int, event_type: str, customer: str, ago_s: float = 0.0, **f: Any
) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "schema_version": "1.0",
        "event_type": event_type,
        "ts": format_ts(datetime.now(UTC) - timedelta(seconds=ago_s)),
        "trace_id": uuid.uuid4().hex,
        "run_id": run,
        "workflow": "wf",
        "customer_id": customer,
        "segment": "s",
        **f,
    }


def test_job_opens_run_and_customer_breakers(broker: Any, tmp_path: Path) -> None:
    s = isolated_settings(broker, tmp_path / "var")
    events = [
        _event("r-hot", 1, "run_started", "cust-hot"),
        _event("r-hot", 2, "model_call", "cust-hot", model="gpt-4o", cost_usd=30.0),
        _event("r-calm", 1, "run_started", "cust-calm"),
        _event("r-calm", 2, "model_call", "cust-calm", model="gpt-4o", cost_usd=0.01),
        # The stream-side twins of the SDK's token and time budgets.
        _event("r-tok", 1, "run_started", "cust-calm", max_tokens=1000),
        _event("r-tok", 2, "model_call", "cust-calm", model="gpt-4o", input_tokens=600),
        _event("r-tok", 3, "model_call", "cust-calm", model="gpt-4o", output_tokens=500),
        _event("r-slow", 1, "run_started", "cust-calm", ago_s=120, max_duration_s=60.0),
        _event("r-slow", 2, "tool_call", "cust-calm", ago_s=90, tool="t", status="ok"),
        _event("r-slow", 3, "tool_call", "cust-calm", ago_s=30, tool="t", status="ok"),
    ]
    with Gauge.for_batch(s) as gauge:
        for e in events:
            gauge.emit(e)
        assert gauge.flush(30)
    ceilings = Ceilings.load()
    ceilings = ceilings.model_copy(
        update={"breakers": ceilings.breakers.model_copy(update={"customer_hold_minutes": 60})}
    )
    cfg = job_config(s, group_id=f"g-{uuid.uuid4().hex[:6]}").model_copy(
        update={"ceilings": ceilings}
    )
    run_bounded(cfg)
    run_bounded(cfg.model_copy(update={"group_id": f"g-{uuid.uuid4().hex[:6]}"}))  # a re-run

    controls = read_json(s, s.topic_controls)
    assert sorted((c["scope"], c["key"], c["action"]) for c in controls) == [
        ("customer", "cust-hot", "opened"),
        ("run", "r-hot", "opened"),
        ("run", "r-slow", "opened"),
        ("run", "r-tok", "opened"),
    ]
    alerts = read_json(s, s.topic_alerts)
    rules = Counter(a["rule"] for a in alerts)
    assert rules == {
        "run_cost_ceiling": 1,
        "customer_spend_ceiling": 1,
        "run_token_budget": 1,
        "run_time_budget": 1,
        "breaker_opened": 4,
    }
    by_rule = {a["rule"]: a for a in alerts}
    tok, slow = by_rule["run_token_budget"], by_rule["run_time_budget"]
    assert (tok["run_id"], tok["observed"], tok["threshold"]) == ("r-tok", 1100, 1000)
    assert (slow["run_id"], slow["threshold"]) == ("r-slow", 60) and slow["observed"] >= 89
    opened = {(a["scope"], a["scope_key"]): a for a in alerts if a["rule"] == "breaker_opened"}
    customer = opened[("customer", "cust-hot")]
    assert customer["actor"] == "agentgauge-job" and customer["customer_id"] == "cust-hot"
    assert customer["reason"].startswith("customer_spend_ceiling: 30")
    assert customer["window_end"] > customer["window_start"]  # until, an hour on
    control = next(c for c in controls if c["scope"] == "customer")
    assert control["alert_id"] == by_rule["customer_spend_ceiling"]["alert_id"]
    assert opened[("run", "r-hot")]["run_id"] == "r-hot"

    env = {
        **os.environ,
        "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
        "AGENTGAUGE_TOPIC_EVENTS": s.topic_events,
        "AGENTGAUGE_TOPIC_CONTROLS": s.topic_controls,
    }
    for customer_id, expected in (("cust-hot", "refused customer cust-hot"), ("cust-calm", "ran")):
        done = subprocess.run(
            [sys.executable, "-c", AGENT, customer_id],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip() == expected, done.stderr
