"""Alert records as the Flink job writes them, for the router and lifecycle tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from agentgauge.settings import AppSettings
from tests.support.kafka import produce


def alert(i: int, severity: str = "critical", age: timedelta = timedelta(0)) -> dict[str, Any]:
    rule = "run_cost_ceiling" if severity == "critical" else "run_tool_call_budget"
    return {
        "alert_id": uuid.uuid4().hex,
        "rule": rule,
        "severity": severity,
        "workflow": "refund_approval",
        "customer_id": f"cust-{i:04d}",
        "segment": "enterprise",
        "run_id": f"run-{i}",
        "trace_id": f"{i:032x}",
        "observed": 2.29,
        "threshold": 2.0,
        "first_event_ts": "2026-11-21T09:00:00.000Z",
        "detected_at": (datetime.now(UTC) - age).isoformat().replace("+00:00", "Z"),
        "ceilings_version": "2026-11-16.1",
        "runbook": f"docs/runbooks/{rule}.md",
    }


def produce_alerts(s: AppSettings, alerts: list[dict[str, Any]]) -> None:
    """Put alert records on the alerts topic, keyed by alert_id, as the job does."""
    keys: list[bytes | None] = [a["alert_id"].encode() for a in alerts]
    produce(s, s.topic_alerts, [orjson.dumps(a) for a in alerts], keys)
