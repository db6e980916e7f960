"""The three wire formats: Slack incoming webhook, PagerDuty Events API v2, signed JSON webhook."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson

from streams.alert_format import evidence, observed_vs_threshold

SIGNATURE_HEADER = "X-Agentgauge-Signature"
TIMESTAMP_HEADER = "X-Agentgauge-Timestamp"
ALERT_ID_HEADER = "X-Agentgauge-Alert-Id"
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
    return body, {
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: signature(secret, ts, body),
        ALERT_ID_HEADER: str(alert.get("alert_id", "")),
    }


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance_s: float = 300.0) -> bool:
    """Receiver side: the signature matches and the timestamp is recent (no replays)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    sent = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance_s:
        return False
    return hmac.compare_digest(sent, signature(secret, ts, body))
