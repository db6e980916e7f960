"""The Flink job on a real MiniCluster against the real embedded broker: rules, DLQ, lake."""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from jobs.config import JobConfig
from jobs.runner import run_bounded
from streams.ceilings import Ceilings
from tests.support import REPO
from tests.support.flink import Scenario, lake_lines, rules_scenario, same_payload
from tests.support.kafka import isolated_settings, produce, read_json

pytestmark = pytest.mark.flink


def send_payloads(settings: AppSettings, payloads: list[bytes]) -> None:
    """Raw payloads onto the events topic, keyed by run_id where they have one."""
    keys: list[bytes | None] = []
    for p in payloads:
        key = None
        with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
            key = str(orjson.loads(p).get("run_id", "")).encode()
        keys.append(key)
    produce(settings, settings.topic_events, payloads, keys)


@pytest.fixture(scope="module")
def ran(broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("flinkjob")
    settings = isolated_settings(broker, tmp / "var")
    suffix = settings.topic_events.rsplit("-", 1)[1]
    scenario = rules_scenario()
    send_payloads(settings, scenario.payloads())
    config = job_config(settings, group_id=f"g-{suffix}", checkpoint_interval_s=1.0, parallelism=2)
    run_bounded(config)
    yield {
        "settings": settings,
        "scenario": scenario,
        "config": config,
        "alerts": read_json(settings, settings.topic_alerts),
        "dlq": read_json(settings, settings.topic_dlq),
        "lake": lake_lines(config.lake_path),
    }


def _by_rule(alerts: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [a for a in alerts if a["rule"] == rule]


def test_each_breaching_run_gets_exactly_one_cost_alert(ran: dict[str, Any]) -> None:
    sc: Scenario = ran["scenario"]
    cost = _by_rule(ran["alerts"], "run_cost_ceiling")
    assert Counter(a["run_id"] for a in cost) == Counter(dict.fromkeys(sc.cost_breaches, 1))
    for a in cost:
        assert a["threshold"] == pytest.approx(sc.cost_breaches[a["run_id"]])
        assert a["observed"] > a["threshold"]
        assert a["severity"] == "critical"
    run_a = next(a for a in cost if a["run_id"] == "run-A")
    assert run_a["observed"] == pytest.approx(2.4)  # duplicates never counted twice


def test_tool_budget_and_loop_fire_once_per_offending_run(ran: dict[str, Any]) -> None:
    sc: Scenario = ran["scenario"]
    tools = _by_rule(ran["alerts"], "run_tool_call_budget")
    assert Counter(a["run_id"] for a in tools) == Counter(dict.fromkeys(sc.tool_breaches, 1))
    for a in tools:
        assert a["threshold"] == sc.tool_breaches[a["run_id"]]
        assert a["observed"] == a["threshold"] + 1
    loops = _by_rule(ran["alerts"], "loop_detected")
    assert [a["run_id"] for a in loops] == sorted(sc.loops)
    assert loops[0]["observed"] == 5


def test_customer_spend_alert_once_per_customer_hour(ran: dict[str, Any]) -> None:
    spend = _by_rule(ran["alerts"], "customer_spend_ceiling")
    assert [a["customer_id"] for a in spend] == ["cust-spend"]
    assert spend[0]["observed"] == pytest.approx(30.0)
    assert spend[0]["threshold"] == 25.0
    assert spend[0]["window_start"] == "2026-11-16T09:00:00.000Z"
    assert spend[0]["window_end"] == "2026-11-16T10:00:00.000Z"


def test_alert_records_are_complete(ran: dict[str, Any]) -> None:
    version = Ceilings.load().version
    ids = [a["alert_id"] for a in ran["alerts"]]
    assert len(ids) == len(set(ids))
    for a in ran["alerts"]:
        assert a["ceilings_version"] == version
        assert (REPO / a["runbook"]).is_file(), a["runbook"]
        assert len(a["alert_id"]) == 32 and a["detected_at"].endswith("Z")
        if a["rule"] == "breaker_opened":  # the job's breaker: what, why, who, until when
            assert a["scope"] in ("run", "customer") and a["scope_key"] and a["reason"]
            assert a["actor"] == "agentgauge-job" and a["window_end"] > a["window_start"]
            continue
        assert a["first_event_ts"].endswith("Z")
        if a["run_id"]:
            assert a["trace_id"] and a["workflow"] and a["customer_id"] and a["segment"]


def test_each_bad_record_class_lands_in_the_dlq(ran: dict[str, Any]) -> None:
    sc: Scenario = ran["scenario"]
    dlq = ran["dlq"]
    assert len(dlq) == len(sc.raw_bad)
    for payload, reason in sc.raw_bad:
        digest = hashlib.sha256(payload.encode()).hexdigest()
        match = [d for d in dlq if d["payload_sha256"] == digest]
        assert len(match) == 1, payload
        assert same_payload(match[0]["payload"], payload)  # redacted, maybe written anew
        assert match[0]["payload_bytes"] == len(payload.encode())
        assert match[0]["reason"].startswith(reason), match[0]["reason"]
        assert match[0]["source"] == "flink" and match[0]["received_at"].endswith("Z")


def test_lake_holds_exactly_the_unique_valid_events(ran: dict[str, Any]) -> None:
    sc: Scenario = ran["scenario"]
    lake = ran["lake"]
    assert sorted(e["event_id"] for e in lake) == sorted(e["event_id"] for e in sc.events)
    parts = {p.name for p in ran["config"].lake_path.iterdir()}
    assert parts == {"dt=2026-11-16"}


def test_server_side_redaction_before_landing(ran: dict[str, Any]) -> None:
    sc: Scenario = ran["scenario"]
    (line,) = [e for e in ran["lake"] if e["run_id"] == "run-R"]
    text = orjson.dumps(line).decode()
    for secret in sc.secrets:
        assert secret not in text
    assert line["message"] == "mail [REDACTED:email] now"
    assert line["attributes"]["api_key"] == "[REDACTED:key]"
    assert line["attributes"]["X-Api-Key"] == "[REDACTED:key]"
    assert line["attributes"]["note"] == "card [REDACTED:card_number]"
    (esc,) = [e for e in ran["lake"] if e["run_id"] == "run-S"]
    assert esc["message"] == "mail [REDACTED:email] now, see https://docs.example.org/x"
    assert esc["attributes"] == {"api_key": "[REDACTED:key]", "note": "café"}
    assert "escaped-secret-789" not in orjson.dumps(esc).decode()


def test_rerun_is_idempotent_on_the_alerts_topic(ran: dict[str, Any]) -> None:
    """A second bounded run re-derives every alert with the same id and sends none again."""
    s: AppSettings = ran["settings"]
    cfg: JobConfig = ran["config"]
    run_bounded(cfg.model_copy(update={"lake_path": cfg.lake_path.parent / "lake2"}))
    again = read_json(s, s.topic_alerts)
    assert sorted(a["alert_id"] for a in again) == sorted(a["alert_id"] for a in ran["alerts"])


def test_alerts_tail_prints_and_filters(
    ran: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from agentgauge.cli._app import app

    s: AppSettings = ran["settings"]
    monkeypatch.setenv("AGENTGAUGE_BOOTSTRAP_SERVERS", s.bootstrap_servers)
    monkeypatch.setenv("AGENTGAUGE_TOPIC_ALERTS", s.topic_alerts)
    out = CliRunner().invoke(app, ["alerts", "tail"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert f"{len(ran['alerts'])} alert(s)" in out.output
    assert "run_cost_ceiling" in out.output and "docs/runbooks/" in out.output
    only = CliRunner().invoke(
        app, ["alerts", "tail", "--rule", "loop_detected"], env={"COLUMNS": "250"}
    )
    assert "1 alert(s)" in only.output and "run_cost_ceiling" not in only.output
