"""The alert router against the real embedded broker and a real local HTTP server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from alerting import payloads
from alerting.config import AlertingConfig, load_alerting
from alerting.ledger import Ledger
from alerting.router import Router
from alerting.status import RouterStatus, router_status
from tests.support.alerts import alert, produce_alerts, router_proc
from tests.support.kafka import wait_until
from tests.support.webhook import Receiver, webhook_server

SECRET = "s3cret-for-tests"
ENV = {"HOOK_SECRET": SECRET, "PD_KEY": "pd-routing-key"}


def make_router(s: AppSettings, cfg: AlertingConfig, **kwargs: Any) -> Router:
    kwargs.setdefault("group_id", s.router_group)
    kwargs.setdefault("alerts_dir", s.alerts_dir)
    return Router(s.connection(), s.topic_alerts, cfg, **kwargs)


def status(s: AppSettings) -> RouterStatus:
    return router_status(s.connection(), s.topic_alerts, s.router_group, s.alerts_dir)


def config_file(tmp: Path, receiver: Receiver, body: str) -> Path:
    path = tmp / "alerting.yaml"
    path.write_text(body.replace("URL", receiver.url))
    return path


def finished(s: AppSettings) -> int:
    ledger = Ledger(s.alerts_dir / "router.sqlite")
    try:
        return sum(int(r["alerts"]) for r in ledger.query("ledger_counts"))
    finally:
        ledger.close()


@contextmanager
def running(router: Router) -> Iterator[Router]:
    thread = threading.Thread(target=router.run, daemon=True)
    thread.start()
    try:
        yield router
    finally:
        router.stop.set()
        thread.join(timeout=60)
        assert not thread.is_alive()


THREE_FORMATS = """
version: 1
runbook_base_url: https://example.test/repo/blob/main/
destinations:
  slack: {type: slack, url: URL/slack}
  pager: {type: pagerduty, url: URL/pd, routing_key_env: PD_KEY}
  hook: {type: webhook, url: URL/hook, secret_env: HOOK_SECRET}
routes:
  - match: {severity: [critical]}
    to: [pager, hook]
  - to: [slack]
"""


def test_slack_pagerduty_and_signed_webhook(settings: AppSettings, tmp_path: Path) -> None:
    crit, warn = alert(1), alert(2, "warning")
    with webhook_server() as rx:
        cfg = load_alerting(config_file(tmp_path, rx, THREE_FORMATS), env=ENV)
        produce_alerts(settings, [crit, warn, crit])  # the job's at-least-once sink may repeat one
        with running(make_router(settings, cfg)) as router:
            wait_until(lambda: finished(settings) == 4)
            # The repeated record is read too (and must not be sent again): all 3 consumed and
            # committed.
            wait_until(lambda: router.consumed == 3 and status(settings).lag == 0)
        slack, pd, hook = rx.received("/slack"), rx.received("/pd"), rx.received("/hook")

    assert [r.json()["text"][:10] for r in slack] == ["[CRITICAL]", "[WARNING] "]
    blocks = slack[0].json()["blocks"]
    assert blocks[0]["text"]["text"] == ":rotating_light: run_cost_ceiling (critical)"
    fields = " ".join(f["text"] for f in blocks[1]["fields"])
    for part in ("refund_approval", "cust-0001", "enterprise", "$2.29 > $2.00", crit["trace_id"]):
        assert part in fields
    link = "https://example.test/repo/blob/main/docs/runbooks/run_cost_ceiling.md"
    assert blocks[2]["text"]["text"] == f"<{link}|Runbook: run_cost_ceiling>"

    (event,) = [r.json() for r in pd]  # the warning is not routed to PagerDuty
    assert event["event_action"] == "trigger" and event["dedup_key"] == crit["alert_id"]
    assert event["routing_key"] == "pd-routing-key"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["custom_details"] == crit and event["links"][0]["href"] == link

    (signed,) = hook
    assert signed.json() == crit
    assert payloads.verify(SECRET, signed.headers, signed.body)
    assert not payloads.verify("wrong-secret", signed.headers, signed.body)
    assert not payloads.verify(SECRET, signed.headers, signed.body + b" ")
    assert signed.headers[payloads.ALERT_ID_HEADER] == crit["alert_id"]

    st = status(settings)
    assert {d.name: d.delivered for d in st.destinations} == {"hook": 1, "pager": 1, "slack": 2}
    assert st.lag == 0 and st.duplicates_skipped == 3 and not st.running


RETRIES = """
version: 1
defaults:
  timeout_seconds: 0.5
  retry: {attempts: 3, initial_seconds: 0.05, max_seconds: 0.2, jitter_seconds: 0.05}
destinations:
  healthy: {type: webhook, url: URL/ok, secret_env: HOOK_SECRET}
  flaky: {type: webhook, url: URL/flaky, secret_env: HOOK_SECRET}
  slow: {type: webhook, url: URL/slow, secret_env: HOOK_SECRET}
  down: {type: webhook, url: URL/down, secret_env: HOOK_SECRET}
  rejects: {type: webhook, url: URL/rejects, secret_env: HOOK_SECRET}
routes:
  - to: [healthy, flaky, slow, down, rejects]
"""


def test_retries_timeouts_parking_and_isolation(settings: AppSettings, tmp_path: Path) -> None:
    alerts = [alert(1), alert(2)]
    with webhook_server() as rx:
        rx.script = {"/flaky": [500, 500], "/slow": ["sleep:1.5"]}
        rx.always = {"/down": "sleep:1.0", "/rejects": 400}
        cfg = load_alerting(config_file(tmp_path, rx, RETRIES), env=ENV)
        produce_alerts(settings, alerts)
        with running(make_router(settings, cfg)):
            wait_until(lambda: finished(settings) == 10)
        requests = list(rx.requests)

    by_path = Counter((r.path, r.status) for r in requests)
    assert by_path[("/flaky", 500)] == 2 and by_path[("/flaky", 200)] == 2  # 3rd attempt won
    assert by_path[("/slow", 0)] == 1 and by_path[("/slow", 200)] == 2  # timed out, then ok
    assert by_path[("/down", 0)] == 6  # 3 attempts per alert, then parked
    assert by_path[("/rejects", 400)] == 2  # a 4xx is not retried
    # The down destination did not hold up the healthy one.
    healthy_done = max(r.at for r in requests if r.path == "/ok")
    first_parked = sorted(r.at for r in requests if r.path == "/down")[2]
    assert healthy_done < first_parked

    parked = [
        orjson.loads(line)
        for line in (settings.alerts_dir / "undeliverable.jsonl").read_bytes().splitlines()
    ]
    assert sorted((p["destination"], p["attempts"]) for p in parked) == [
        ("down", 3),
        ("down", 3),
        ("rejects", 1),
        ("rejects", 1),
    ]
    assert all(p["reason"].startswith("timed out") for p in parked if p["destination"] == "down")
    assert {p["alert"]["alert_id"] for p in parked} == {a["alert_id"] for a in alerts}

    st = {d.name: d for d in status(settings).destinations}
    assert (st["flaky"].delivered, st["flaky"].retries, st["flaky"].failed_attempts) == (2, 2, 2)
    assert (st["down"].parked, st["down"].failed_attempts) == (2, 6)
    assert (st["rejects"].parked, st["rejects"].retries) == (2, 0)
    assert st["healthy"].latency_p50_ms is not None and st["healthy"].retries == 0
    assert status(settings).lag == 0  # parked counts as done

    env = {
        "AGENTGAUGE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "AGENTGAUGE_TOPIC_ALERTS": settings.topic_alerts,
        "AGENTGAUGE_VAR_DIR": str(settings.var_dir),
        "COLUMNS": "200",
    }
    table = CliRunner().invoke(app, ["alerts", "status"], env=env)
    assert table.exit_code == 0, table.output
    assert "router not running" in table.output and "lag 0" in table.output
    assert "parked now: 4" in table.output and "4 parking records" in table.output
    row = next(line for line in table.output.splitlines() if "│ flaky" in line)
    assert [c.strip() for c in row.split("│")[2:7]] == ["2", "0", "0", "2", "2"]
    as_json = CliRunner().invoke(app, ["alerts", "status", "--format", "json"], env=env)
    data = orjson.loads(as_json.output)
    assert data["parked_lines"] == 4 and data["lag"] == 0
    assert {d["name"]: d["parked"] for d in data["destinations"]}["down"] == 2


REDELIVER = """
version: 1
defaults:
  retry: {attempts: 2, initial_seconds: 0.05, max_seconds: 0.1, jitter_seconds: 0}
destinations:
  hook: {type: webhook, url: URL/hook, secret_env: HOOK_SECRET}
routes:
  - to: [hook]
"""


def test_parked_alerts_are_redelivered_once_the_destination_works(
    settings: AppSettings, tmp_path: Path
) -> None:
    alerts = [alert(1), alert(2)]
    with webhook_server() as rx:
        rx.always = {"/hook": 503}
        config = config_file(tmp_path, rx, REDELIVER)
        produce_alerts(settings, alerts)
        with running(make_router(settings, load_alerting(config, env=ENV))):
            wait_until(lambda: finished(settings) == 2)
        assert rx.received("/hook") == []
        env = {
            **ENV,
            "AGENTGAUGE_VAR_DIR": str(settings.var_dir),
            "AGENTGAUGE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "AGENTGAUGE_TOPIC_ALERTS": settings.topic_alerts,
        }
        cmd = ["alerts", "redeliver", "--config", str(config)]
        still_down = CliRunner().invoke(app, cmd, env=env)
        assert still_down.exit_code == 1 and "0 delivered, 2 still parked" in still_down.output
        rx.always = {}  # the destination is fixed
        fixed = CliRunner().invoke(app, cmd, env=env)
        assert fixed.exit_code == 0 and "2 delivered, 0 still parked" in fixed.output
        again = CliRunner().invoke(app, cmd, env=env)
        assert again.exit_code == 0 and "0 delivered, 0 still parked" in again.output
        got = sorted(r.json()["alert_id"] for r in rx.received("/hook"))

    assert got == sorted(a["alert_id"] for a in alerts)  # each once, signed like the router
    st = {d.name: d for d in status(settings).destinations}
    assert (st["hook"].delivered, st["hook"].parked) == (2, 0)
    parking = settings.alerts_dir / "undeliverable.jsonl"
    assert len(parking.read_bytes().splitlines()) == 4  # the history stays: 2 + 2 re-failures


POLICIES = """
version: 1
defaults: {max_alert_age_minutes: 60}
destinations:
  quiet:
    type: webhook
    url: URL/quiet
    secret_env: HOOK_SECRET
    quiet_hours: {start: "QSTART", end: "QEND", timezone: Europe/Berlin}
  limited:
    type: webhook
    url: URL/limited
    secret_env: HOOK_SECRET
    rate_limit: {max_alerts: 2, per_minutes: 60}
routes:
  - to: [quiet, limited]
"""


def test_quiet_hours_rate_limits_and_stale(settings: AppSettings, tmp_path: Path) -> None:
    berlin = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    start, end = berlin - timedelta(hours=1), berlin + timedelta(hours=1)
    body = POLICIES.replace("QSTART", f"{start:%H:%M}").replace("QEND", f"{end:%H:%M}")
    warnings = [alert(i, "warning") for i in range(4)]
    critical, stale = alert(9), alert(10, age=timedelta(hours=3))
    with webhook_server() as rx:
        cfg = load_alerting(config_file(tmp_path, rx, body), env=ENV)
        produce_alerts(settings, [*warnings, critical, stale])
        with running(make_router(settings, cfg)):
            wait_until(lambda: finished(settings) == 12)
        quiet = [r.json()["alert_id"] for r in rx.received("/quiet")]
        limited = [r.json()["alert_id"] for r in rx.received("/limited")]

    assert quiet == [critical["alert_id"]]  # critical alerts are exempt from quiet hours
    assert limited == [warnings[0]["alert_id"], warnings[1]["alert_id"], critical["alert_id"]]
    st = {d.name: d for d in status(settings).destinations}
    assert st["quiet"].suppressed == {"quiet_hours": 4, "stale": 1}
    assert st["limited"].suppressed == {"rate_limited": 2, "stale": 1}


RESTART = """
version: 1
destinations:
  hook: {type: webhook, url: URL/hook, secret_env: HOOK_SECRET}
  slack: {type: slack, url: URL/slack}
routes:
  - to: [hook, slack]
"""


def test_restart_mid_stream_delivers_each_alert_once(settings: AppSettings, tmp_path: Path) -> None:
    first, later = [alert(i) for i in range(60)], [alert(i) for i in range(60, 80)]
    with webhook_server() as rx:
        rx.delay_s = 0.03
        config = config_file(tmp_path, rx, RESTART)
        produce_alerts(settings, first)
        proc = router_proc(settings, config, ENV)
        rx.wait_for("/hook", 15, timeout=60)
        proc.terminate()  # mid-stream: most alerts not delivered yet
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out.decode()
        assert len(rx.received("/hook")) < 60
        produce_alerts(settings, later + first[:5])  # new alerts while down, and repeated records
        proc = router_proc(settings, config, ENV)
        try:
            rx.wait_for("/hook", 80, timeout=90)
            rx.wait_for("/slack", 80, timeout=90)
            # Every record read and committed: offsets are committed only past alerts finished
            # at every destination, so nothing more is sent after this.
            wait_until(lambda: status(settings).lag == 0, timeout=60, what="router lag 0")
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=60)
        hook = Counter(r.json()["alert_id"] for r in rx.received("/hook"))
        slack = Counter(
            r.json()["blocks"][3]["elements"][0]["text"].split("`")[1]
            for r in rx.received("/slack")
        )

    expected = {a["alert_id"] for a in first + later}
    assert set(hook) == expected and set(hook.values()) == {1}, out.decode()
    assert set(slack) == expected and set(slack.values()) == {1}
    assert status(settings).lag == 0
