"""What keeps a delivery single: idempotency keys and a timestamped HMAC the receiver checks,
one active router per ledger, and a router that notices its offsets lie beyond a recreated
topic's end. Real broker, real HTTP servers on 127.0.0.1, the router as its own process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from agentgauge.settings import AppSettings
from alerting import payloads
from alerting.config import load_alerting
from alerting.receiver import LocalReceiver
from alerting.router import Router
from alerting.single import RouterBusy
from alerting.status import RouterStatus, router_status
from tests.support.alerts import alert, produce_alerts, router_proc
from tests.support.kafka import wait_until
from tests.support.webhook import webhook_server

SECRET = "s3cret-for-tests"
ENV = {"HOOK_SECRET": SECRET}

SLOW_2XX = """
version: 1
defaults:
  timeout_seconds: 0.5
  retry: {attempts: 4, initial_seconds: 0.05, max_seconds: 0.2, jitter_seconds: 0.01}
destinations:
  hook: {type: webhook, url: URL/hook, secret_env: HOOK_SECRET}
routes:
  - to: [hook]
"""


def _status(s: AppSettings) -> RouterStatus:
    return router_status(s.connection(), s.topic_alerts, s.router_group, s.alerts_dir)


def _router(s: AppSettings, config: Path) -> Router:
    cfg = load_alerting(config, env=ENV)
    return Router(
        s.connection(), s.topic_alerts, cfg, group_id=s.router_group, alerts_dir=s.alerts_dir
    )


def _run(router: Router) -> threading.Thread:
    thread = threading.Thread(target=router.run, daemon=True)
    thread.start()
    return thread


def _stop(router: Router, thread: threading.Thread) -> None:
    router.stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_a_2xx_lost_to_the_timeout_is_acted_on_once(settings: AppSettings, tmp_path: Path) -> None:
    """The receiver answers 200 after the router gave up waiting: the router sends the alert
    again (it cannot know), and the idempotency key makes the second arrival a no-op."""
    a = alert(1)
    with webhook_server() as rx:
        rx.script["/hook"] = ["sleep:1.5"]  # 200, but after the 0.5 s client timeout
        config = tmp_path / "alerting.yaml"
        config.write_text(SLOW_2XX.replace("URL", rx.url))
        produce_alerts(settings, [a])
        router = _router(settings, config)
        thread = _run(router)
        try:
            wait_until(lambda: rx.received("/hook"), timeout=30, what="the retried delivery")
        finally:
            _stop(router, thread)
        wait_until(lambda: len(rx.requests) == 2, timeout=10, what="both requests recorded")
        sent = list(rx.requests)
    # Both requests carry the alert id as idempotency key and a signature over a fresh timestamp.
    assert {r.headers[payloads.IDEMPOTENCY_HEADER] for r in sent} == {a["alert_id"]}
    verifier = payloads.WebhookVerifier(SECRET)
    verdicts = [verifier.check(r.headers, r.body) for r in sent]
    assert verdicts == ["accepted", "duplicate"]


def test_replayed_stale_and_forged_requests_are_refused() -> None:
    a = alert(2)
    with LocalReceiver(secret=SECRET) as rx, httpx.Client() as http:
        body, headers = payloads.signed_webhook(a, SECRET)
        first = http.post(rx.url + "/hook", content=body, headers=headers)
        assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
        # The very same request again (captured and replayed inside the window): 2xx, not acted on.
        again = http.post(rx.url + "/hook", content=body, headers=headers)
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        # Replayed later: the signed timestamp is outside the window.
        old_body, old = payloads.signed_webhook(alert(3), SECRET, now=time.time() - 600)
        stale = http.post(rx.url + "/hook", content=old_body, headers=old)
        assert stale.status_code == 401 and "outside the tolerance window" in stale.text
        # The timestamp moved forward to get into the window: it is signed, so that is forgery.
        moved = {**old, payloads.TIMESTAMP_HEADER: str(int(time.time()))}
        forged = http.post(rx.url + "/hook", content=old_body, headers=moved)
        assert forged.status_code == 401 and "does not match" in forged.text
        # A hostile timestamp (huge, not a number) is refused without trouble.
        for ts in ("9" * 5000, "-1", "1e9", ""):
            bad = http.post(
                rx.url + "/hook", content=body, headers={**headers, "X-Agentgauge-Timestamp": ts}
            )
            assert bad.status_code == 401
    assert [r.body["alert_id"] for r in rx.received] == [a["alert_id"]]
    assert rx.duplicates == 1 and rx.refused == {"stale": 1, "forged": 5}


def test_the_verifier_forgets_the_oldest_keys_first() -> None:
    verifier = payloads.WebhookVerifier(SECRET, max_keys=3)
    requests = [payloads.signed_webhook(alert(i), SECRET) for i in range(5)]
    assert [verifier.check(h, b) for b, h in requests] == ["accepted"] * 5
    body, headers = requests[4]
    assert verifier.check(headers, body) == "duplicate"  # recent keys are kept
    body, headers = requests[0]
    assert verifier.check(headers, body) == "accepted"  # bounded memory: the oldest went first


def test_one_router_per_ledger(settings: AppSettings, tmp_path: Path) -> None:
    with webhook_server() as rx:
        config = tmp_path / "alerting.yaml"
        config.write_text(SLOW_2XX.replace("URL", rx.url))
        produce_alerts(settings, [alert(4)])
        first = _router(settings, config)
        thread = _run(first)
        try:
            rx.wait_for("/hook", 1)
            # In this process: refused before it opens the ledger.
            with pytest.raises(RouterBusy, match=r"another alert router is active.*pid \d+"):
                _router(settings, config)
            # As a command: exits 1 at once, naming what to do.
            proc = router_proc(settings, config, ENV)
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == 1, out.decode()
            assert "another alert router is active on this ledger" in out.decode()
        finally:
            _stop(first, thread)
        # The lock goes with its process, kill -9 included: the next router starts.
        proc = router_proc(settings, config, ENV)
        try:
            wait_until(
                lambda: _status(settings).running,
                timeout=60,
                what="the router process running",
            )
            proc.kill()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        again = _router(settings, config)  # not busy: the killed router's lock is gone
        thread = _run(again)
        _stop(again, thread)
    assert len(rx.received("/hook")) == 1


def test_offsets_beyond_a_recreated_topic_are_named_and_rewound(
    settings: AppSettings, tmp_path: Path
) -> None:
    """As after an embedded-broker restart: the group's committed offsets lie past the end of
    the (new) topic. The router says so, reads from the start, and delivers what is there."""
    alerts = [alert(i) for i in range(10, 13)]
    produce_alerts(settings, alerts)
    consumer = settings.connection().consumer(group_id=settings.router_group)
    try:
        consumer.commit({TopicPartition(settings.topic_alerts, 0): OffsetAndMetadata(500, "", -1)})
    finally:
        consumer.close()
    st = _status(settings)
    assert st.problem is not None and "beyond the end of" in st.problem and "500 > " in st.problem
    with webhook_server() as rx:
        config = tmp_path / "alerting.yaml"
        config.write_text(SLOW_2XX.replace("URL", rx.url))
        router = _router(settings, config)
        thread = _run(router)
        try:
            got = rx.wait_for("/hook", 3, timeout=60)
            wait_until(
                lambda: _status(settings).lag == 0,
                timeout=60,
                what="router lag 0",
            )
        finally:
            _stop(router, thread)
    assert router.rewound and router.rewound[0][0] == 500
    assert sorted(r.json()["alert_id"] for r in got) == sorted(a["alert_id"] for a in alerts)
    after = _status(settings)
    assert after.problem is None and after.lag == 0
