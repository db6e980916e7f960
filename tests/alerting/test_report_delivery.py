"""The weekly report delivered by the Monday job's last asset (``weekly_report_delivery``) to
real HTTP servers on 127.0.0.1: Slack's incoming webhook (headline deltas and a link), Slack's
files API (the file, with the headline as its comment), a signed webhook (summary and file);
once per destination across runs (the router's ledger), retried, and a failure blocks."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from alerting import payloads
from alerting.ledger import Ledger
from dagster_project.definitions import ALL_ASSETS
from dagster_project.report_delivery import ReportDestinations
from streams.lake import write_lake
from tests.assets.test_scorecards import _materialize_all, _resources
from tests.support.scorecard_data import events
from tests.support.slack_api import SlackApi, slack_api
from tests.support.webhook import Receiver, webhook_server

SECRET = "report-signing-secret"


def _alerting_yaml(path: Path, hooks: Receiver, api: SlackApi) -> None:
    path.write_text(
        textwrap.dedent(
            f"""
            version: 1
            defaults:
              retry: {{attempts: 3, initial_seconds: 0.05, max_seconds: 0.2, jitter_seconds: 0}}
            destinations:
              team-slack: {{type: slack, url: "{hooks.url}/slack"}}
              slack-files:
                type: slack
                url: "{hooks.url}/unused"
                bot_token_env: TEST_SLACK_BOT_TOKEN
                channel: C0LEADERS
                api_url: "{api.url}/api"
              archive: {{type: webhook, url: "{hooks.url}/hook", secret_env: TEST_REPORT_SECRET}}
              pager: {{type: pagerduty, routing_key_env: TEST_REPORT_SECRET}}
            routes:
              - to: [pager]
            reports:
              to: [team-slack, slack-files, archive]
              base_url: https://reports.example.com/weekly
            """
        )
    )


@pytest.fixture
def delivery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TEST_SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("TEST_REPORT_SECRET", SECRET)
    first, _ = events()
    write_lake(first, tmp_path / "lake")
    res = _resources(tmp_path)
    _materialize_all(res, ("2026-11-09", "2026-11-16"), ("2026-11-09", "2026-11-09"))
    with webhook_server() as hooks, slack_api() as api:
        _alerting_yaml(tmp_path / "alerting.yaml", hooks, api)
        res["report_destinations"] = ReportDestinations(
            alerting_file=str(tmp_path / "alerting.yaml"), alerts_dir=str(tmp_path / "alerts")
        )
        yield tmp_path, res, hooks, api


def _run(res: dict[str, Any], selection: list[str]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        ALL_ASSETS,
        selection=selection,
        resources=res,
        partition_key="2026-11-09",
        raise_on_error=False,
    )


def test_the_report_reaches_every_destination_once(delivery: Any) -> None:
    tmp, res, hooks, api = delivery
    hooks.script["/hook"] = [503]  # the archive's first answer: retried
    result = _run(res, ["weekly_report", "weekly_report_delivery"])
    assert result.success
    html = (tmp / "reports" / "2026-W46.html").read_bytes()

    (slack,) = hooks.received("/slack")
    message = slack.json()
    text = message["blocks"][1]["text"]["text"] + message["blocks"][2]["elements"][0]["text"]
    assert "Weekly review 2026-W46" in message["text"]
    assert "Success 60.0%" in text and "Escalation 20.0%" in text  # the headline
    assert "https://reports.example.com/weekly/2026-W46.html" in text

    (upload,) = api.uploads.values()
    assert upload == html  # the file itself, through Slack's files API
    (done,) = api.completed
    assert done["channel_id"] == "C0LEADERS"
    assert "Weekly review 2026-W46" in done["initial_comment"]
    assert "Success 60.0%" in done["initial_comment"]

    assert len(hooks.requests) == 3  # slack, and the archive twice (503, then 200)
    (hook,) = hooks.received("/hook")
    headers = {k.title(): v for k, v in hook.headers.items()}
    assert payloads.verify(SECRET, headers, hook.body)
    body = hook.json()
    assert body["type"] == "weekly_report" and body["week"] == "2026-W46"
    assert body["summary"]["kpis"]["success_rate"]["value"] == pytest.approx(0.6)
    assert base64.b64decode(body["file"]["content_base64"]) == html
    assert headers["Idempotency-Key"] == "weekly_report-2026-W46"

    # A second run (a retried schedule tick, a restarted daemon): nothing is sent again.
    again = _run(res, ["weekly_report_delivery"])
    assert again.success
    assert len(hooks.requests) == 3 and len(api.uploads) == 1
    (mat,) = again.asset_materializations_for_node("weekly_report_delivery")
    assert mat.metadata["2026-W46 archive"].value == "already delivered"

    ledger = Ledger(tmp / "alerts" / "router.sqlite")
    try:
        for dest in ("team-slack", "slack-files", "archive"):
            assert ledger.outcome("weekly_report-2026-W46", dest) == "delivered"
    finally:
        ledger.close()


def test_a_destination_that_keeps_failing_blocks_then_gets_it_next_run(delivery: Any) -> None:
    tmp, res, hooks, api = delivery
    hooks.always["/hook"] = 500
    api.fail_next = ["ratelimited"] * 3  # Slack's files API says ratelimited three times
    failed = _run(res, ["weekly_report", "weekly_report_delivery"])
    assert not failed.success
    (err,) = [e for e in failed.all_events if e.is_step_failure]
    message = str(err.event_specific_data.error)  # type: ignore[union-attr]
    assert "report 2026-W46 not delivered to slack-files, archive" in message
    assert "HTTP 500" in message and "ratelimited" in message
    assert len(hooks.received("/slack")) == 1  # the healthy destination got it once

    del hooks.always["/hook"]
    fixed = _run(res, ["weekly_report_delivery"])
    assert fixed.success
    assert len(hooks.received("/slack")) == 1  # not again
    assert len(hooks.received("/hook")) == 1 and len(api.uploads) == 1
    ledger = Ledger(tmp / "alerts" / "router.sqlite")
    try:
        assert ledger.outcome("weekly_report-2026-W46", "archive") == "delivered"
    finally:
        ledger.close()


def test_a_report_never_goes_to_pagerduty(delivery: Any) -> None:
    tmp, res, hooks, _ = delivery
    path = tmp / "alerting.yaml"
    path.write_text(
        path.read_text().replace("to: [team-slack, slack-files, archive]", "to: [pager]")
    )
    result = _run(res, ["weekly_report", "weekly_report_delivery"])
    assert not result.success
    (err,) = [e for e in result.all_events if e.is_step_failure]
    assert "reports.to: ['pager'] page on-call" in str(err.event_specific_data.error)  # type: ignore[union-attr]
    assert not hooks.requests
