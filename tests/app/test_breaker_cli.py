"""Breakers opened and released by hand (``agentgauge breaker``, a real process) stop agents in
other processes: a process started after the open learns it, a running one sees it at its
next call, the release lets them go; every open and release is an alert record with who and
why. With the broker gone, the last known state holds and ``controls_fail`` decides."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from agentgauge.cli.alerts import make_router
from agentgauge.local.broker import EmbeddedBroker
from agentgauge.settings import AppSettings
from alerting.config import AlertingConfig
from streams import BreakerOpen, BudgetExceeded, Gauge
from streams.topics import create_topics
from tests.support.kafka import free_port, produce, read_json, wait_until

AGENT = """
import sys
from streams import BreakerOpen, Gauge, load_settings
with Gauge(load_settings()) as gauge:
    try:
        with gauge.run(workflow=sys.argv[1], customer_id=sys.argv[2], segment="s",
                       prompt_version=sys.argv[3]) as run:
            run.model_call("gpt-4o", input_tokens=10)
        print("ran")
    except BreakerOpen as exc:
        print(f"refused {exc.scope} {exc.key}")
"""


def _env(s: AppSettings) -> dict[str, str]:
    return {
        **os.environ,
        "AGENTGAUGE_BOOTSTRAP_SERVERS": s.bootstrap_servers,
        "AGENTGAUGE_TOPIC_EVENTS": s.topic_events,
        "AGENTGAUGE_TOPIC_ALERTS": s.topic_alerts,
        "AGENTGAUGE_TOPIC_CONTROLS": s.topic_controls,
        "AGENTGAUGE_VAR_DIR": str(s.var_dir),
    }


def _cli(s: AppSettings, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("agentgauge", path=str(Path(sys.executable).parent))
    assert exe
    return subprocess.run(
        [exe, "breaker", *args], env=_env(s), capture_output=True, text=True, timeout=60
    )


def _agent(s: AppSettings, workflow: str, customer: str, prompt: str = "p1") -> str:
    done = subprocess.run(
        [sys.executable, "-c", AGENT, workflow, customer, prompt],
        env=_env(s),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_manual_breakers_across_processes(settings: AppSettings) -> None:
    s = settings
    with Gauge(s) as gauge:  # a running agent process, following the control topic
        run = gauge.run(workflow="wf", customer_id="cust-1", segment="s")
        run.__enter__()
        run.model_call("gpt-4o", input_tokens=10)

        t_cli = time.monotonic()
        opened = _cli(
            s,
            "open",
            "--customer",
            "cust-1",
            "--reason",
            "runaway spend",
            "--for",
            "30m",
            "--by",
            "dana",
        )
        assert opened.returncode == 0, opened.stderr
        t_open = time.monotonic()

        # The running run is refused at its next call (poll with a deadline).
        def refused() -> bool:
            try:
                run.model_call("gpt-4o", input_tokens=10)
            except BreakerOpen as exc:
                assert (exc.scope, exc.key) == ("customer", "cust-1")
                assert "runaway spend" in exc.reason
                return True
            return False

        wait_until(refused, timeout=10, what="the running run to see the breaker")
        seen_s = time.monotonic() - t_open
        print(
            f"manual open seen by a running process {seen_s * 1000:.0f} ms after the command"
            f" exited ({(time.monotonic() - t_cli):.2f} s after it started)"
        )
        run.__exit__(None, None, None)

        # A process started after the open learns it; other customers run.
        assert _agent(s, "wf", "cust-1") == "refused customer cust-1"
        assert _agent(s, "wf", "cust-2") == "ran"
        listed = orjson.loads(_cli(s, "list", "--format", "json").stdout)
        assert [(b["scope"], b["key"], b["actor"]) for b in listed] == [
            ("customer", "cust-1", "dana")
        ]
        assert listed[0]["until"] is not None

        # The rollback switch: a prompt-version breaker refuses that version only.
        assert _cli(s, "open", "--prompt-version", "p2", "--reason", "bad rollout").returncode == 0
        assert _agent(s, "wf", "cust-2", "p2") == "refused prompt_version p2"
        assert _agent(s, "wf", "cust-2", "p1") == "ran"

        released = _cli(
            s,
            "release",
            "--customer",
            "cust-1",
            "--prompt-version",
            "p2",
            "--reason",
            "fixed",
            "--by",
            "dana",
        )
        assert released.returncode == 0, released.stderr
        t_release = time.monotonic()

        def allowed() -> bool:
            try:
                with gauge.run(workflow="wf", customer_id="cust-1", segment="s"):
                    return True
            except BreakerOpen:
                return False

        wait_until(allowed, timeout=10, what="the release to reach the running process")
        print(f"manual release seen after {(time.monotonic() - t_release) * 1000:.0f} ms")
        assert _agent(s, "wf", "cust-1", "p2") == "ran"
        assert orjson.loads(_cli(s, "list", "--format", "json").stdout) == []

    alerts = [a for a in read_json(s, s.topic_alerts) if a["rule"].startswith("breaker_")]
    assert sorted((a["rule"], a["scope"], a["scope_key"]) for a in alerts) == [
        ("breaker_opened", "customer", "cust-1"),
        ("breaker_opened", "prompt_version", "p2"),
        ("breaker_released", "customer", "cust-1"),
        ("breaker_released", "prompt_version", "p2"),
    ]
    first = next(a for a in alerts if a["rule"] == "breaker_opened" and a["scope"] == "customer")
    assert first["actor"] == "dana" and first["reason"] == "runaway spend"
    assert first["customer_id"] == "cust-1" and first["runbook"] == "docs/breaker.md"


def test_bad_breaker_commands_name_what_is_wrong(settings: AppSettings) -> None:
    no_target = _cli(settings, "open", "--reason", "x")
    assert no_target.returncode == 2 and "--customer" in no_target.stderr
    bad_for = _cli(settings, "open", "--customer", "c", "--reason", "x", "--for", "soon")
    assert bad_for.returncode == 2 and "--for 'soon'" in bad_for.stderr
    no_reason = _cli(settings, "open", "--customer", "c", "--reason", " ")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr


def test_broker_down_keeps_last_state_and_controls_fail_decides(tmp_path: Path) -> None:
    b = EmbeddedBroker(tmp_path / "b", free_port())
    b.start()
    s = AppSettings(bootstrap_servers=f"127.0.0.1:{b.port}", var_dir=tmp_path / "var")
    create_topics(s)
    assert _cli(s, "open", "--customer", "blocked", "--reason", "hold").returncode == 0
    fail_open = Gauge(s.model_copy(update={"controls_max_staleness_s": 1.0}))
    fail_closed = Gauge(
        s.model_copy(update={"controls_max_staleness_s": 1.0, "controls_fail": "closed"})
    )
    try:
        for g in (fail_open, fail_closed):
            wait_until(lambda g=g: bool(g.breakers()), timeout=10, what="the breaker")
        b.stop()
        wait_until(lambda: fail_closed._controls.stale(), timeout=15, what="stale state")  # type: ignore[union-attr]
        for g in (fail_open, fail_closed):  # the last known state holds
            with (
                pytest.raises(BreakerOpen, match="blocked"),
                g.run(workflow="wf", customer_id="blocked", segment="s"),
            ):
                pass
        with fail_open.run(workflow="wf", customer_id="other", segment="s") as run:  # fail open
            run.model_call("gpt-4o", input_tokens=1)
        with (
            pytest.raises(BreakerOpen, match="controls_fail=closed") as refused,
            fail_closed.run(workflow="wf", customer_id="other", segment="s"),
        ):
            pass
        assert refused.value.scope == "controls"
        # Local budgets still halt with the broker gone.
        with (
            pytest.raises(BudgetExceeded),
            fail_open.run(workflow="wf", customer_id="other", segment="s", max_tool_calls=1) as run,
        ):
            run.tool_call("t")
            run.tool_call("t")
    finally:
        fail_open.close(0.5)
        fail_closed.close(0.5)
        b.stop()


def test_the_router_records_expiry(settings: AppSettings) -> None:
    """A breaker whose ``until`` passes is released on the record by the alert router: a
    ``released`` control record and a ``breaker_released`` alert, once."""
    s = settings
    assert (
        _cli(s, "open", "--customer", "brief", "--reason", "cool off", "--for", "2s").returncode
        == 0
    )
    cfg = AlertingConfig(runbook_base_url="", max_alert_age_minutes=60, destinations={}, routes=[])
    router = make_router(s, cfg)
    thread = threading.Thread(target=router.run, daemon=True)
    thread.start()
    try:
        released = wait_until(
            lambda: [a for a in read_json(s, s.topic_alerts) if a["rule"] == "breaker_released"],
            timeout=30,
            what="the expiry record",
        )
    finally:
        router.stop.set()
        thread.join(timeout=30)
    assert [(a["scope_key"], a["actor"]) for a in released] == [("brief", "agentgauge-expiry")]
    controls = read_json(s, s.topic_controls)
    assert [c["action"] for c in controls] == ["opened", "released"]
    assert orjson.loads(_cli(s, "list", "--format", "json").stdout) == []


def test_hostile_control_records_cannot_stop_the_follower(settings: AppSettings) -> None:
    """Records on the control topic that are not control records (bad JSON, invalid UTF-8, a
    3,000-deep array, 1e400, a number or a naive time as `until`, a 1 MB key) are skipped: the
    breakers written after them still reach a gauge, and the expiry keeper keeps working."""
    s = settings
    hostile = [
        b"{not json",
        b"\xff\xfe\x00",
        b"[" * 3000 + b"]" * 3000,
        b'{"action":"opened","scope":"customer","key":"x","until":1e400}',
        b'{"action":"opened","scope":"customer","key":"y","until":12345}',
        b'{"action":"opened","scope":"customer","key":"z","until":"2030-01-01T00:00:00"}',
        b'["opened"]',
        orjson.dumps({"action": "opened", "scope": "customer", "key": "k" * 1_000_000}),
    ]
    produce(s, s.topic_controls, hostile, [b"junk"] * len(hostile))
    assert _cli(s, "open", "--customer", "after", "--reason", "still works").returncode == 0
    with Gauge(s) as gauge:
        wait_until(lambda: any(b.key == "after" for b in gauge.breakers()), 15, "the breaker")
        keys = {b.key for b in gauge.breakers()}
        assert "after" in keys and not keys & {"x", "y", "z"}
        with pytest.raises(BreakerOpen), gauge.run(workflow="w", customer_id="after", segment="s"):
            pass
    listed = orjson.loads(_cli(s, "list", "--format", "json").stdout)
    assert "after" in {b["key"] for b in listed}
