"""``agentgauge emit --file``: bad lines never stop the rest; rejects go to the DLQ and a file."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from tests.support.kafka import read_json

GOOD = {
    "event_id": "good-1",
    "schema_version": "1.2",
    "event_type": "tool_call",
    "ts": "2026-11-16T09:30:00+02:00",
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "run_id": "run-1",
    "workflow": "wf",
    "customer_id": "c1",
    "segment": "smb",
    "tool": "search",
    "status": "ok",
    "future_field": "kept",
}


def line(**patch: object) -> str:
    return json.dumps({k: v for k, v in {**GOOD, **patch}.items() if v is not None})


BAD_LINES = {
    "invalid JSON": ('{"event_id": "x", "schema_version": "1.0"', "$"),
    "missing required field": (line(event_id="b1", run_id=None), "run_id"),
    "wrong type": (line(event_id="b2", latency_ms="fast"), "latency_ms"),
    "unknown event_type": (line(event_id="b3", event_type="teleport"), "event_type"),
    "negative number": (line(event_id="b4", cost_usd=-1.0), "cost_usd"),
    "naive timestamp": (line(event_id="b5", ts="2026-11-16T09:30:00"), "ts"),
    "unparseable timestamp": (line(event_id="b6", ts="last tuesday"), "ts"),
    "unsupported major": (line(event_id="b7", schema_version="2.0"), "schema_version"),
    "not an object": ("[1, 2, 3]", "$"),
}


@pytest.fixture
def env(settings: AppSettings, monkeypatch: pytest.MonkeyPatch) -> AppSettings:
    monkeypatch.setenv("AGENTGAUGE_BOOTSTRAP_SERVERS", settings.bootstrap_servers)
    monkeypatch.setenv("AGENTGAUGE_TOPIC_EVENTS", settings.topic_events)
    monkeypatch.setenv("AGENTGAUGE_TOPIC_DLQ", settings.topic_dlq)
    return settings


def test_bad_input_table(env: AppSettings, tmp_path: Path) -> None:
    lines = [line(event_id="good-0")]
    expected_rejects: dict[int, str] = {}
    for text, field in BAD_LINES.values():
        lines.append(text)
        expected_rejects[len(lines)] = field
        lines.append(line(event_id=f"good-{len(lines)}"))
    lines.insert(3, "")  # blank lines are skipped, not rejected
    expected_rejects = {(n + 1 if n >= 4 else n): f for n, f in expected_rejects.items()}
    src = tmp_path / "events.jsonl"
    src.write_text("\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.jsonl"

    result = CliRunner().invoke(app, ["emit", "--file", str(src), "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    good = len(BAD_LINES) + 1
    assert f"accepted {good}, rejected {len(BAD_LINES)}" in result.output

    produced = read_json(env, env.topic_events)
    assert sorted(e["event_id"] for e in produced) == sorted(
        json.loads(x)["event_id"] for x in lines if x.startswith('{"event_id": "good')
    )
    assert all(e["future_field"] == "kept" for e in produced)
    assert all(e["ts"] == "2026-11-16T07:30:00.000Z" for e in produced)

    dlq = read_json(env, env.topic_dlq)
    from_file = [orjson.loads(x) for x in rejects.read_text().splitlines()]
    for records in (dlq, from_file):
        assert {r["line"]: r["reason"].split(":")[0] for r in records} == expected_rejects
        for r in records:
            assert r["source"] == "emit" and r["received_at"].endswith("Z")
            assert r["payload"] == src.read_text().splitlines()[r["line"] - 1]


def test_missing_file_is_a_clear_error(env: AppSettings, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["emit", "--file", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "does not exist" in result.output
