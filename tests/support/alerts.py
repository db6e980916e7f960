"""Alert records as the Flink job writes them, for the router and lifecycle tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


# A windowed alert with its evidence, as the job writes it (tests/jobs/test_flink_anomaly.py).
WINDOWED: dict[str, Any] = {
    "alert_id": "9d69c6f4e04c2245ffd84d3ff26a72cb",
    "rule": "error_rate_spike",
    "severity": "critical",
    "workflow": "doc_qa",
    "segment": "smb",
    "observed": 0.4107,
    "threshold": 0.1093,
    "window_start": "2026-11-17T00:30:00.000Z",
    "window_end": "2026-11-17T00:35:00.000Z",
    "detected_at": "2026-12-01T12:00:00.000Z",
    "ceilings_version": "2026-12-01.1",
    "runbook": "docs/runbooks/error_rate_spike.md",
    "level": "segment",
    "baseline": 0.0241,
    "window_volume": 61,
    "baseline_volume": 5210,
    "p_value": 3.1e-19,
    "baseline_hours": 24.0,
}


def produce_alerts(s: AppSettings, alerts: list[dict[str, Any]]) -> None:
    """Put alert records on the alerts topic, keyed by alert_id, as the job does."""
    keys: list[bytes | None] = [a["alert_id"].encode() for a in alerts]
    produce(s, s.topic_alerts, [orjson.dumps(a) for a in alerts], keys)


def router_proc(
    s: AppSettings, config: Path, env: dict[str, str], *args: str
) -> subprocess.Popen[bytes]:
    """``agentgauge alerts route`` as its own process, on the settings' broker, topic and var."""
    full = {
        **os.environ,
        **env,
        "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
        "AGENTGAUGE_TOPIC_ALERTS": s.topic_alerts,
        # The router's expiry keeper follows the controls topic and writes to the alerts topic:
        # the default one is shared by every test, and another test's breaker expiring there
        # put a foreign breaker_released on this test's topic.
        "AGENTGAUGE_TOPIC_CONTROLS": s.topic_controls,
        "AGENTGAUGE_VAR_DIR": str(s.var_dir),
    }
    agentgauge = Path(sys.executable).parent / "agentgauge"
    cmd = [str(agentgauge), "alerts", "route", "--config", str(config), *args]
    return subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
