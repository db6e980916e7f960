"""Seeded secrets, through every producer path (the SDK, `emit --file`, a raw producer), every
stage (the streaming job, the alert router to Slack, PagerDuty and a signed webhook, the
warehouse) and every sink: the topics, the lake, the warehouse's tables, the delivered payloads
and their headers, the log records, and every file under var/ (the job's log and state files
included). None may be found anywhere."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from alerting.config import load_alerting
from alerting.ledger import Ledger
from alerting.router import Router
from dagster_project.run import materialize
from streams import Gauge
from tests.support.kafka import isolated_settings, produce, read_topic, wait_until
from tests.support.webhook import webhook_server

pytestmark = pytest.mark.flink

EMAIL_ID = "sweep.customer@example.org"  # a customer id that is an email address
CANARIES = {
    "key": "SweepKeyValue7f3",  # under camelCase, kebab and nested sensitive keys
    "password_text": "SweepPw0rdInText",  # password=... in free text
    "dsn": "SweepDsnSecret",  # postgres://user:SweepDsnSecret@db
    "query": "SweepQueryKey9",  # ?api_key=...
    "bearer": "SweepBearerTok3n0123456789",
    "email": "sweep.person@mail.example.com",
    "card": "4111 1111 1111 1111",
    "email_id": "sweep.customer",  # the local part of EMAIL_ID
}
RAW_ONLY = "SweepRawProducerKey42"  # seeded by the raw producer: it is on agent-events by design


def _text(extra: str = "") -> str:
    return (
        f"password={CANARIES['password_text']} postgres://admin:{CANARIES['dsn']}@db:5432/x"
        f" https://api.example.com/v1?api_key={CANARIES['query']}&y=1"
        f" Bearer {CANARIES['bearer']} mail {CANARIES['email']} card {CANARIES['card']} {extra}"
    )


def _secret_attrs(key: str = CANARIES["key"]) -> dict[str, Any]:
    return {"apiKey": key, "x-api-key": key, "userPassword": key, "note": _text()}


def _sdk(s: AppSettings) -> None:
    with Gauge(s) as gauge:
        for i in range(3):  # one run of the email customer crosses its $1 ceiling
            with gauge.run(
                workflow="support_triage",
                customer_id=EMAIL_ID,
                segment="enterprise",
                attributes=_secret_attrs(),
            ) as run:
                run.model_call("gpt-4o", cost_usd=0.6 if i == 0 else 0.1, message=_text())
                run.model_call("gpt-4o", cost_usd=0.6 if i == 0 else 0.1)
                run.tool_call("lookup", args={"token": CANARIES["key"]}, note=_text())
                run.error("other", message=_text(), code="E1")
                run.escalate(_text("escalated"), queue="ops")
                gauge.emit(
                    {
                        **run._base,
                        "event_id": f"extra-{i}",
                        "event_type": "decision",
                        "ts": "2026-11-16T09:30:00Z",
                        "nested": {"auth": {"accessToken": CANARIES["key"]}, "l": [_text()]},
                    }
                )
        assert gauge.flush(30)


def _event(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"raw-{i}",
        "schema_version": "1.0",
        "event_type": "model_call",
        "ts": "2026-11-16T10:00:00Z",
        "trace_id": f"{i:032x}",
        "run_id": f"raw-run-{i // 3}",
        "workflow": "support_triage",
        "customer_id": EMAIL_ID,
        "segment": "smb",
        "model": "gpt-4o",
        **fields,
    }


def _emit_file(s: AppSettings, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        json.dumps(_event(100 + i, cost_usd=0.5, message=_text(), attributes=_secret_attrs()))
        for i in range(3)
    ]
    lines.append(json.dumps({"event_id": "bad", "apiKey": CANARIES["key"], "m": _text()}))
    lines.append('{"torn": "' + _text() + '", "password": "' + CANARIES["key"])
    src = tmp / "events.jsonl"
    src.write_text("\n".join(lines) + "\n")
    for name in ("bootstrap_servers", "topic_events", "topic_dlq", "var_dir"):
        monkeypatch.setenv(f"AGENTGAUGE_{name.upper()}", str(getattr(s, name)))
    result = CliRunner().invoke(
        app, ["emit", "--file", str(src), "--rejects", str(s.var_dir / "rejects.jsonl")]
    )
    assert result.exit_code == 0, result.output


def _raw(s: AppSettings) -> list[bytes]:
    out = []
    for i in range(6):  # two raw runs cross their ceiling; pretty-printed and escaped
        e = _event(
            200 + i,
            cost_usd=0.6,
            message=_text(),
            attributes={"apiKey": RAW_ONLY, "note": _text()},
            cookie=RAW_ONLY,
        )
        text = json.dumps(e, indent=2) if i % 2 else json.dumps(e).replace("@", "\\u0040")
        out.append(text.encode())
    out.append(json.dumps({"event_id": "raw-bad", "apiKey": RAW_ONLY, "m": _text()}).encode())
    produce(s, s.topic_events, out)
    return out


ALERTING = """
version: 1
runbook_base_url: https://example.test/runbooks/
destinations:
  slack: {type: slack, url: URL/slack}
  pager: {type: pagerduty, url: URL/pd, routing_key_env: PD_KEY}
  hook: {type: webhook, url: URL/hook, secret_env: HOOK_SECRET}
routes:
  - to: [slack, pager, hook]
"""


def _route(s: AppSettings, tmp: Path) -> list[Any]:
    with webhook_server() as rx:
        path = tmp / "alerting.yaml"
        path.write_text(ALERTING.replace("URL", rx.url))
        cfg = load_alerting(path, env={"PD_KEY": "pd-key", "HOOK_SECRET": "hook-secret"})
        router = Router(
            s.connection(), s.topic_alerts, cfg, group_id="sweep", alerts_dir=s.alerts_dir
        )
        thread = threading.Thread(target=router.run, daemon=True)
        thread.start()
        n_alerts = len(read_topic(s, s.topic_alerts))
        assert n_alerts >= 3  # the SDK's run, two raw runs (and the customer's hour)

        def finished() -> bool:
            ledger = Ledger(s.alerts_dir / "router.sqlite")
            try:
                return sum(int(r["alerts"]) for r in ledger.query("ledger_counts")) == 3 * n_alerts
            finally:
                ledger.close()

        wait_until(finished, 90, "every alert delivered to the three destinations")
        router.stop.set()
        thread.join(timeout=60)
        return list(rx.requests)


def _warehouse_text(db: Path) -> str:
    """Every text value of every table of the warehouse."""
    out: list[str] = []
    with duckdb.connect(str(db), read_only=True) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in cols:
            rows = conn.execute(f'SELECT "{column}" FROM "{table}"').fetchall()
            out += [str(r[0]) for r in rows if r[0] is not None]
    return "\n".join(out)


def test_no_seeded_secret_reaches_any_sink(
    broker: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="streams")
    caplog.set_level(logging.DEBUG, logger="alerting")
    caplog.set_level(logging.DEBUG, logger="jobs")
    s = isolated_settings(broker, tmp_path / "var")
    _sdk(s)
    _emit_file(s, tmp_path, monkeypatch)
    events_from_sdk_and_emit = b"\n".join(r.value for r in read_topic(s, s.topic_events))
    _raw(s)
    # The streaming job, as `jobs start` runs it: its log and state files are under var/ too.
    job = LocalJob(s)
    cfg = job_config(s, group_id="sweep", checkpoint_interval_s=1.0)
    job.start(cfg)
    try:
        wait_until(lambda: job.status(cfg).lag == 0, 120, "the job to read every event")
        wait_until(lambda: len(read_topic(s, s.topic_alerts)) >= 3, 60, "the alerts")
    finally:
        job.stop()
    assert (s.var_dir / "jobs" / "job.log").is_file()
    requests = _route(s, tmp_path)
    report = materialize(s, None)
    assert report.ok, report

    sinks: dict[str, bytes] = {
        "agent-events (SDK, emit)": events_from_sdk_and_emit,
        "agent-events-dlq": b"\n".join(r.value for r in read_topic(s, s.topic_dlq)),
        "agent-alerts": b"\n".join(r.value for r in read_topic(s, s.topic_alerts)),
        "deliveries": b"\n".join(r.body + json.dumps(r.headers).encode() for r in requests),
        "warehouse": _warehouse_text(s.duckdb_path).encode(),
        "logs": "\n".join(r.getMessage() for r in caplog.records).encode(),
    }
    for f in sorted(s.var_dir.rglob("*")):
        if f.is_file() and f.suffix != ".duckdb" and not f.name.endswith(".wal"):
            sinks[f"var/{f.relative_to(s.var_dir)}"] = f.read_bytes()
    assert any(k.startswith("var/lake/") for k in sinks) and requests
    # The scan sees what it should: a raw producer's secret is on agent-events itself, as sent.
    assert RAW_ONLY.encode() in b"\n".join(r.value for r in read_topic(s, s.topic_events))
    assert any(k.startswith("var/alerts/") for k in sinks) and sinks["warehouse"]
    assert any(b"anon-" in sinks[k] for k in ("agent-alerts", "deliveries"))
    found = {
        (sink, name)
        for sink, data in sinks.items()
        for name, secret in [*CANARIES.items(), ("raw", RAW_ONLY)]
        if secret.encode() in data and not (name == "raw" and sink.startswith("agent-events "))
    }
    assert not found, sorted(found)
