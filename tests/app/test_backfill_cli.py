"""From the command line: ``agentgauge emit --file`` then ``agentgauge jobs run --bounded``.

The rules scenario as a JSON-lines file, with re-sent duplicates and one bad line per class: the
bounded run yields exactly the scenario's alerts, the DLQ holds exactly the bad lines with their
reasons, and the lake exactly the unique valid events.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from tests.support.flink import lake_lines, rules_scenario, same_payload
from tests.support.kafka import read_json

pytestmark = pytest.mark.flink


def test_emit_then_bounded_run_yields_exactly_the_expected_records(
    settings: AppSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("bootstrap_servers", "topic_events", "topic_alerts", "topic_dlq", "var_dir"):
        monkeypatch.setenv(f"AGENTGAUGE_{name.upper()}", str(getattr(settings, name)))
    sc = rules_scenario()
    src = tmp_path / "events.jsonl"
    src.write_bytes(b"\n".join(sc.payloads()) + b"\n")
    cli = CliRunner()

    emitted = cli.invoke(app, ["emit", "--file", str(src)])
    assert emitted.exit_code == 0, emitted.output
    valid = len(sc.events) + len(sc.duplicates)
    assert f"accepted {valid}, rejected {len(sc.raw_bad)}" in emitted.output

    ran = cli.invoke(app, ["jobs", "run", "--bounded"])
    assert ran.exit_code == 0, ran.output
    expected = Counter(
        [("run_cost_ceiling", r) for r in sc.cost_breaches]
        + [("run_tool_call_budget", r) for r in sc.tool_breaches]
        + [("loop_detected", r) for r in sc.loops]
        + [("customer_spend_ceiling", c) for c in sc.customer_breaches]
    )
    # Each of these alerts opens a breaker: a breaker_opened record each.
    assert f"{2 * sum(expected.values())} new alerts, 0 new DLQ records" in ran.output

    records = read_json(settings, settings.topic_alerts)
    alerts = [a for a in records if a["rule"] != "breaker_opened"]
    keys = Counter(
        (a["rule"], a["customer_id"] if a["rule"] == "customer_spend_ceiling" else a["run_id"])
        for a in alerts
    )
    assert keys == expected
    breakers = Counter(a["scope_key"] for a in records if a["rule"] == "breaker_opened")
    assert breakers == Counter(key for _, key in expected.elements())
    run_a = next(a for a in alerts if a["run_id"] == "run-A")
    assert run_a["observed"] == pytest.approx(2.4)  # the re-sent duplicates count once

    # The SDK's contract check in `emit` catches every bad line before the topic, with its line
    # number and the field at fault.
    dlq = read_json(settings, settings.topic_dlq)
    lines = src.read_text().splitlines()
    by_digest = {hashlib.sha256(p.encode()).hexdigest(): (p, r) for p, r in sc.raw_bad}
    assert sorted(r["payload_sha256"] for r in dlq) == sorted(by_digest)
    for r in dlq:
        payload, reason = by_digest[r["payload_sha256"]]
        assert r["source"] == "emit"
        assert lines[r["line"] - 1] == payload and same_payload(r["payload"], payload)
        assert r["reason"].split(":")[0] == reason.split(":")[0], r

    lake_dir = job_config(settings).lake_path
    lake = lake_lines(lake_dir)
    assert sorted(e["event_id"] for e in lake) == sorted(e["event_id"] for e in sc.events)
    landed = "".join(f.read_text() for f in lake_dir.rglob("part-*"))
    assert [x for x in sc.secrets if x in landed] == []  # `emit` redacts as the SDK does
