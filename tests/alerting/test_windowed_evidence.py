"""A windowed alert's evidence reaches on-call: the Slack field, the CLI line, PagerDuty details."""

from __future__ import annotations

from agentgauge.cli._render import alert_line
from alerting.payloads import pagerduty, slack
from streams.alert_format import evidence
from tests.support.alerts import WINDOWED

LINE = "segment smb: 41.1% (61 in window) vs 2.4% (5,210 over 24 h), p = 3.1e-19"


def test_evidence_line_in_slack_cli_and_pagerduty() -> None:
    assert evidence(WINDOWED) == LINE
    fields = " ".join(f["text"] for f in slack(WINDOWED, "")["blocks"][1]["fields"])
    assert f"*Evidence*\n{LINE}" in fields
    assert "*Observed / threshold*\n41.1% >= 10.9%" in fields
    line = alert_line(WINDOWED).plain
    assert "doc_qa / segment smb" in line and LINE in line
    details = pagerduty(WINDOWED, "key", "")["payload"]["custom_details"]
    assert details["p_value"] == 3.1e-19 and details["level"] == "segment"


def test_rules_without_evidence_and_odd_records_print_none() -> None:
    run_rule = {**WINDOWED, "rule": "run_cost_ceiling"}
    assert evidence(run_rule) is None
    fields = " ".join(f["text"] for f in slack(run_rule, "")["blocks"][1]["fields"])
    assert "Evidence" not in fields
    # A record missing its volumes or with a non-numeric p-value never breaks a delivery.
    assert evidence({**WINDOWED, "p_value": "x"}) is None
    assert evidence({**WINDOWED, "window_volume": None, "baseline_hours": None}) == (
        "segment smb: 41.1% (- in window) vs 2.4% (5,210 over -), p = 3.1e-19"
    )
