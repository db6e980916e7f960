"""alerting.yaml: the shipped file loads, and every mistake is named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentgauge.settings import AppSettings
from alerting.config import AlertingConfigError, QuietHours, load_alerting

SHIPPED_ENV = {
    "AGENTGAUGE_PAGERDUTY_ROUTING_KEY": "k",
    "AGENTGAUGE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X",
    "AGENTGAUGE_ALERT_WEBHOOK_URL": "https://alerts.example.com/in",
    "AGENTGAUGE_ALERT_WEBHOOK_SECRET": "s",
}


def test_shipped_config_routes_by_severity() -> None:
    cfg = load_alerting(AppSettings().alerting_file, env=SHIPPED_ENV)
    crit = {"rule": "run_cost_ceiling", "severity": "critical", "workflow": "w"}
    warn = {"rule": "loop_detected", "severity": "warning", "workflow": "w"}
    assert cfg.destinations_for(crit) == ["oncall-pagerduty", "team-slack", "alert-archive"]
    assert cfg.destinations_for(warn) == ["team-slack", "alert-archive"]
    assert cfg.destinations["oncall-pagerduty"].url.startswith("https://events.pagerduty.com")
    assert "'k'" not in repr(cfg.destinations["oncall-pagerduty"])  # secrets stay masked


GOOD = """
version: 1
destinations:
  hook: {type: webhook, url: "http://127.0.0.1:1/x", secret_env: S}
routes:
  - to: [hook]
"""


@pytest.mark.parametrize(
    ("body", "env", "message"),
    [
        (GOOD, {}, "destinations.hook.secret_env: environment variable S is not set"),
        (GOOD.replace("to: [hook]", "to: [hook, pager]"), {"S": "x"}, "routes.0.to: unknown"),
        (GOOD.replace("webhook,", "teams,"), {"S": "x"}, "destinations.hook"),
        (GOOD.replace("version: 1", "version: 2"), {"S": "x"}, "version"),
        (GOOD.replace('"http://127.0.0.1:1/x"', "ftp://x"), {"S": "x"}, "url must start with"),
        (GOOD + "  - match: {severity: [urgent]}\n    to: [hook]\n", {"S": "x"}, "routes.1.match"),
        (
            GOOD.replace(
                "secret_env: S}",
                "secret_env: S, quiet_hours: {start: '22:00', end: '07:00', timezone: Mars/Base}}",
            ),
            {"S": "x"},
            "unknown time zone 'Mars/Base'",
        ),
        ("version: 1\ndestinations: [\n", {}, "not valid YAML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, body: str, env: dict[str, str], message: str) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text(body)
    with pytest.raises(AlertingConfigError, match=message.replace("[", r"\[")) as err:
        load_alerting(path, env=env)
    assert str(path) in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AlertingConfigError, match=r"cannot read .*nope\.yaml"):
        load_alerting(tmp_path / "nope.yaml", env={})


def test_quiet_hours_span_midnight_in_their_time_zone() -> None:
    q = QuietHours.model_validate({"start": "22:00", "end": "07:00", "timezone": "Asia/Tokyo"})
    assert q.active(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo
    assert q.active(datetime(2026, 11, 21, 21, 59, tzinfo=UTC))  # 06:59 in Tokyo
    assert not q.active(datetime(2026, 11, 21, 22, 0, tzinfo=UTC))  # 07:00 in Tokyo


def test_routes_match_rule_workflow_and_segment(tmp_path: Path) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text(
        """
version: 1
destinations:
  a: {type: slack, url: "http://127.0.0.1:1/a"}
  b: {type: slack, url: "http://127.0.0.1:1/b"}
  c: {type: slack, url: "http://127.0.0.1:1/c"}
routes:
  - match: {rule: [run_cost_ceiling, customer_spend_ceiling], segment: [enterprise]}
    to: [a]
  - match: {workflow: [code_review]}
    to: [b, a]
  - match: {severity: [warning], workflow: [refund_approval]}
    to: [c]
"""
    )
    cfg = load_alerting(path, env={})

    def to(rule: str, severity: str, workflow: str, segment: str | None) -> list[str]:
        alert = {"rule": rule, "severity": severity, "workflow": workflow, "segment": segment}
        return cfg.destinations_for(alert)

    assert to("run_cost_ceiling", "critical", "refund_approval", "enterprise") == ["a"]
    assert to("run_cost_ceiling", "critical", "refund_approval", "smb") == []
    assert to("loop_detected", "warning", "code_review", "smb") == ["b", "a"]
    assert to("run_cost_ceiling", "critical", "code_review", "enterprise") == ["a", "b"]
    assert to("retry_storm", "warning", "refund_approval", None) == ["c"]
