"""``agentgauge emit --file``: bad lines never stop the rest; rejects go to the DLQ and a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from tests.support.flink import same_payload
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
            original = src.read_text().splitlines()[r["line"] - 1]
            assert same_payload(r["payload"], original)
            assert r["payload_sha256"] == hashlib.sha256(original.encode()).hexdigest()


def test_missing_file_is_a_clear_error(env: AppSettings, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["emit", "--file", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_any_file_is_survived_and_rejects_are_redacted(env: AppSettings, tmp_path: Path) -> None:
    """Invalid UTF-8, binary garbage, a 1.2 MB line, a NUL line, a secret in a rejected line:
    the documented exit code (0: every accepted event acknowledged), no traceback, every bad line
    a redacted dead letter with its line number and reason, the good lines on the topic."""
    secret = "sk-live-EmitRejectCanary1234567890"
    lines = [
        line(event_id="ok-1").encode(),
        b"\xff\xfe garbage \x00\x01",
        bytes(b for b in range(256) if b not in (10, 13)) * 4,
        b'{"event_id": "big", "blob": "' + b"x" * 1_200_000 + b'"',
        b"\x00" * 200_000,
        ('{"event_id": "s", "api_key": "' + secret + '", "note": "mail a@b.example.com"').encode(),
        line(event_id="ok-2").encode(),
    ]
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    result = CliRunner().invoke(app, ["emit", "--file", str(src), "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "accepted 2, rejected" in result.output
    assert sorted(e["event_id"] for e in read_json(env, env.topic_events)) == ["ok-1", "ok-2"]
    dlq = read_json(env, env.topic_dlq)
    written = [orjson.loads(x) for x in rejects.read_bytes().splitlines()]
    for records in (dlq, written):
        assert sorted(r["line"] for r in records) == [2, 3, 4, 5, 6]
        assert all(r["reason"] and len(r["payload"]) <= 65_536 for r in records)
    big = next(r for r in dlq if r["line"] == 4)
    assert big["payload_truncated"] and big["payload_bytes"] > 1_200_000
    everything = rejects.read_bytes() + orjson.dumps(dlq)
    assert secret.encode() not in everything and b"a@b.example.com" not in everything
