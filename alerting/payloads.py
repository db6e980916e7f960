"""The three wire formats: Slack incoming webhook, PagerDuty Events API v2, signed JSON webhook."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from typing import Any, Literal

import orjson

from streams.alert_format import evidence, observed_vs_threshold

SIGNATURE_HEADER = "X-Agentgauge-Signature"
TIMESTAMP_HEADER = "X-Agentgauge-Timestamp"
ALERT_ID_HEADER = "X-Agentgauge-Alert-Id"
# The alert id again, under the header name of the IETF idempotency-key draft, so generic
# receivers de-duplicate a re-sent alert (a 2xx lost to a client timeout is sent again).
IDEMPOTENCY_HEADER = "Idempotency-Key"
_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:"}
# PagerDuty's severities are critical, error, warning and info.
_PD_SEVERITY = {"critical": "critical", "warning": "warning"}


def runbook_url(alert: dict[str, Any], base_url: str) -> str:
    path = str(alert.get("runbook") or "")
    return base_url.rstrip("/") + "/" + path if base_url and path else path


def summary(alert: dict[str, Any]) -> str:
    where = alert.get("workflow") or "-"
    if alert.get("customer_id"):
        where += f" / {alert['customer_id']}"
    return f"[{str(alert.get('severity', '?')).upper()}] {alert.get('rule')} on {where}: " + (
        observed_vs_threshold(alert)
    )


def slack(alert: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Blocks: rule and severity, where, observed against threshold, trace, runbook link."""
    rule, severity = alert.get("rule", "?"), alert.get("severity", "?")
    fields = [
        ("Workflow", alert.get("workflow")),
        ("Customer", alert.get("customer_id")),
        ("Segment", alert.get("segment")),
        ("Observed / threshold", observed_vs_threshold(alert)),
        ("Evidence", evidence(alert)),
        ("Run", f"`{alert['run_id']}`" if alert.get("run_id") else None),
        ("Trace", f"`{alert['trace_id']}`" if alert.get("trace_id") else None),
    ]
    url = runbook_url(alert, base_url)
    return {
        "text": summary(alert),  # notification / fallback text
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": f"{_EMOJI.get(str(severity), '')} {rule} ({severity})".strip(),
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}"}
                    for name, value in fields
                    if value
                ],
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{url}|Runbook: {rule}>" if url else "-"},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"alert `{alert.get('alert_id')}` · detected "
                        f"{alert.get('detected_at')} · ceilings {alert.get('ceilings_version')}",
                    }
                ],
            },
        ],
    }


def pagerduty(alert: dict[str, Any], routing_key: str, base_url: str) -> dict[str, Any]:
    """A ``trigger`` whose ``dedup_key`` is the alert id, so PagerDuty folds re-deliveries."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.get("alert_id"),
        "client": "agentgauge",
        "payload": {
            "summary": summary(alert)[:1024],
            "source": f"agentgauge/{alert.get('workflow') or 'all'}",
            "severity": _PD_SEVERITY.get(str(alert.get("severity")), "error"),
            "timestamp": alert.get("detected_at"),
            "component": alert.get("workflow"),
            "group": alert.get("segment"),
            "class": alert.get("rule"),
            "custom_details": alert,
        },
        "links": [{"href": runbook_url(alert, base_url), "text": "Runbook"}],
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_webhook(
    alert: dict[str, Any], secret: str, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The alert record as JSON, and headers that let the receiver verify who sent it."""
    body = orjson.dumps(alert)
    ts = str(int(time.time() if now is None else now))
    alert_id = str(alert.get("alert_id", ""))
    return body, {
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: signature(secret, ts, body),
        ALERT_ID_HEADER: alert_id,
        IDEMPOTENCY_HEADER: alert_id,
    }


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance_s: float = 300.0) -> bool:
    """Receiver side: the signature matches and the timestamp is recent (no replays)."""
    return _signature_verdict(secret, headers, body, tolerance_s) == "accepted"


Verdict = Literal["accepted", "duplicate", "stale", "forged"]


def _signature_verdict(
    secret: str, headers: dict[str, str], body: bytes, tolerance_s: float
) -> Verdict:
    lowered = {k.lower(): v for k, v in headers.items()}
    ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    sent = lowered.get(SIGNATURE_HEADER.lower(), "")
    # The signature first: a forged request learns nothing about the clock window.
    if (
        len(ts) > 20
        or not ts.isdigit()
        or not hmac.compare_digest(sent, signature(secret, ts, body))
    ):
        return "forged"
    if abs(time.time() - int(ts)) > tolerance_s:
        return "stale"
    return "accepted"


class WebhookVerifier:
    """What a receiver of signed webhooks does with each request, in one call.

    - ``forged``: the HMAC over ``"<timestamp>." + body`` does not match (the timestamp is
      signed, so it cannot be moved forward);
    - ``stale``: signed, but older (or newer) than ``tolerance_s``: a captured request replayed
      later is refused;
    - ``duplicate``: signed and recent, but its idempotency key (the alert id) was accepted
      before: a replay within the window, or the router re-sending an alert whose 2xx it never
      saw. Answer 2xx and do nothing (the alert is already in hand);
    - ``accepted``: act on it.

    Keys are remembered for at least ``remember_s`` (default a day, far beyond the window) and
    at most ``max_keys`` of them (the oldest are forgotten first), so memory stays bounded.
    """

    def __init__(
        self,
        secret: str,
        tolerance_s: float = 300.0,
        remember_s: float = 86_400.0,
        max_keys: int = 100_000,
    ) -> None:
        self._secret = secret
        self.tolerance_s = tolerance_s
        self._remember_s = remember_s
        self._max = max_keys
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, headers: dict[str, str], body: bytes) -> Verdict:
        verdict = _signature_verdict(self._secret, headers, body, self.tolerance_s)
        if verdict != "accepted":
            return verdict
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get(IDEMPOTENCY_HEADER.lower()) or lowered.get(ALERT_ID_HEADER.lower())
        if not key:
            return "accepted"
        now = time.monotonic()
        with self._lock:
            while self._keys and (
                len(self._keys) >= self._max
                or next(iter(self._keys.values())) < now - self._remember_s
            ):
                self._keys.popitem(last=False)
            if key in self._keys:
                return "duplicate"
            self._keys[key] = now
        return "accepted"
