"""Delivering the weekly report (docs/report.md) with the router's guarantees: each report goes
to each destination of ``reports.to`` once (the router's ledger, keyed by the report id and the
destination, survives restarts), retried with backoff and jitter, webhooks signed.

- Slack: the headline deltas as a message on the incoming webhook, with a link to the report;
  with ``bot_token_env`` and ``channel`` the file itself is uploaded through Slack's files API
  (``files.getUploadURLExternal``, the upload, ``files.completeUploadExternal``) with the
  headline as its comment.
- Webhook: one signed JSON body with the summary and the file (base64).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from alerting import payloads
from alerting.config import AlertingConfig, ResolvedDestination
from alerting.delivery import DeliveryError, Sender
from alerting.ledger import Ledger, Outcome
from streams.errors import AgentgaugeError

# Slack Web API errors worth another attempt (https://api.slack.com/web#errors).
_SLACK_RETRYABLE = {"ratelimited", "internal_error", "service_unavailable", "request_timeout"}


class ReportNotDelivered(AgentgaugeError):
    """A destination did not take the report after every retry (it is tried again next run)."""


@dataclass(frozen=True)
class Report:
    week: str  # 2026-W46
    headline: list[str]
    summary: dict[str, Any]
    html: bytes
    filename: str
    url: str = ""  # where readers open it, when reports.base_url is set

    @property
    def report_id(self) -> str:
        return f"weekly_report-{self.week}"

    def record(self) -> dict[str, Any]:
        """What the ledger keeps of it (as of an alert: rule, severity)."""
        return {"rule": "weekly_report", "severity": "info", "detected_at": None}


def slack_message(report: Report) -> dict[str, Any]:
    title = f"Weekly review {report.week}"
    lines = "\n".join(f"• {line}" for line in report.headline)
    link = f"<{report.url}|Open the report>" if report.url else f"Report file: `{report.filename}`"
    return {
        "text": f"{title}: {report.headline[0] if report.headline else ''}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines or "(no runs)"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": link}]},
        ],
    }


def webhook_body(report: Report) -> dict[str, Any]:
    return {
        "alert_id": report.report_id,  # the receivers' idempotency key, as for alerts
        "type": "weekly_report",
        "week": report.week,
        "url": report.url or None,
        "summary": report.summary,
        "file": {
            "name": report.filename,
            "content_type": "text/html; charset=utf-8",
            "content_base64": base64.b64encode(report.html).decode("ascii"),
        },
    }


class ReportSender(Sender):
    """The router's sender (retries, timeouts, the stop event), with the report's payloads."""

    def __init__(self, dest: ResolvedDestination, report: Report, stop: threading.Event) -> None:
        super().__init__(dest, "", stop)
        self._report = report

    def _request(self, alert: dict[str, Any]) -> tuple[bytes | None, Any, dict[str, str]]:
        if self.dest.type == "slack":
            return None, slack_message(self._report), {}
        secret = self.dest.secret.get_secret_value() if self.dest.secret else ""
        body, headers = payloads.signed_webhook(webhook_body(self._report), secret)
        return body, None, {"Content-Type": "application/json", **headers}

    def _send_once(self, alert: dict[str, Any]) -> float:
        if self.dest.type == "slack" and self.dest.slack_bot_token is not None:
            return self._upload()
        return super()._send_once(alert)

    def _slack_api(self, method: str, **kwargs: Any) -> dict[str, Any]:
        token = self.dest.slack_bot_token.get_secret_value() if self.dest.slack_bot_token else ""
        try:
            resp = self._client.post(
                f"{self.dest.slack_api_url}/{method}",
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
        except httpx.TimeoutException:
            raise DeliveryError(f"Slack {method} timed out", retryable=True) from None
        except httpx.TransportError as exc:
            raise DeliveryError(f"Slack {method}: {type(exc).__name__}", retryable=True) from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise DeliveryError(f"Slack {method}: HTTP {resp.status_code}", retryable=True)
        try:
            answer: dict[str, Any] = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise DeliveryError(
                f"Slack {method}: HTTP {resp.status_code}, not JSON", retryable=False
            ) from None
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown_error"))
            raise DeliveryError(f"Slack {method}: {error}", retryable=error in _SLACK_RETRYABLE)
        return answer

    def _upload(self) -> float:
        started = time.perf_counter()
        r = self._report
        got = self._slack_api(
            "files.getUploadURLExternal", data={"filename": r.filename, "length": len(r.html)}
        )
        try:
            up = self._client.post(str(got["upload_url"]), content=r.html)
        except httpx.TransportError as exc:
            raise DeliveryError(f"Slack upload: {type(exc).__name__}", retryable=True) from None
        if not up.is_success:
            raise DeliveryError(
                f"Slack upload: HTTP {up.status_code}", retryable=up.status_code >= 500
            )
        comment = f"Weekly review {r.week}\n" + "\n".join(f"• {line}" for line in r.headline)
        self._slack_api(
            "files.completeUploadExternal",
            json={
                "files": [{"id": got["file_id"], "title": f"Weekly review {r.week}"}],
                "channel_id": self.dest.slack_channel,
                "initial_comment": comment,
            },
        )
        return (time.perf_counter() - started) * 1000


@dataclass
class Delivered:
    outcomes: dict[str, str] = field(default_factory=dict)  # destination -> what happened

    @property
    def failed(self) -> list[str]:
        return [d for d, o in self.outcomes.items() if o.startswith("failed")]


def deliver_report(
    config: AlertingConfig, ledger: Ledger, report: Report, stop: threading.Event | None = None
) -> Delivered:
    """Send ``report`` to every destination of ``reports.to`` that has not had it yet."""
    out = Delivered()
    if config.reports is None:
        return out
    stop = stop or threading.Event()
    for name in config.reports.to:
        before = ledger.outcome(report.report_id, name)
        if before == "delivered":
            out.outcomes[name] = "already delivered"
            continue
        sender = ReportSender(config.destinations[name], report, stop)
        try:
            result = sender.send(report.record())
        finally:
            sender.close()
        o = Outcome(
            report.report_id,
            name,
            "delivered" if result.ok else "parked",
            result.attempts,
            result.error,
            None,
            result.send_ms,
        )
        if before == "parked" and result.ok:  # an earlier run failed: now it got through
            ledger.mark_redelivered(o)
        else:
            ledger.record(o, report.record())
        out.outcomes[name] = (
            "delivered" if result.ok else f"failed after {result.attempts}: {result.error}"
        )
    return out
