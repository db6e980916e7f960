"""Sending one alert to one destination: payload, HTTP, retries, and the suppression policy."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    sleep_using_event,
    stop_after_attempt,
    stop_when_event_set,
    wait_exponential_jitter,
)

from alerting import payloads
from alerting.config import ResolvedDestination
from streams.errors import AgentgaugeError


class DeliveryError(AgentgaugeError):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Abandoned(AgentgaugeError):
    """The router is stopping: the alert is left uncommitted and re-read on restart."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    attempts: int
    error: str | None = None
    send_ms: float | None = None


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.retryable


class Sender:
    """One destination's HTTP client. 5xx, 429, timeouts and connection errors are retried
    with exponential backoff and jitter; other 4xx are final (retrying cannot fix them)."""

    def __init__(
        self, dest: ResolvedDestination, runbook_base_url: str, stop: threading.Event
    ) -> None:
        self.dest = dest
        self._base = runbook_base_url
        self._stop = stop
        self._client = httpx.Client(timeout=dest.timeout_seconds, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def _request(self, alert: dict[str, Any]) -> tuple[bytes | None, Any, dict[str, str]]:
        secret = self.dest.secret.get_secret_value() if self.dest.secret else ""
        if self.dest.type == "slack":
            return None, payloads.slack(alert, self._base), {}
        if self.dest.type == "pagerduty":
            return None, payloads.pagerduty(alert, secret, self._base), {}
        body, headers = payloads.signed_webhook(alert, secret)
        return body, None, {"Content-Type": "application/json", **headers}

    def _send_once(self, alert: dict[str, Any]) -> float:
        if self._stop.is_set():
            raise Abandoned
        body, json_body, headers = self._request(alert)  # re-signed on every attempt
        started = time.perf_counter()
        try:
            resp = self._client.post(self.dest.url, content=body, json=json_body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(
                f"timed out after {self.dest.timeout_seconds:g} s", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from None
        if resp.is_success:
            return (time.perf_counter() - started) * 1000
        text = resp.text[:200].replace("\n", " ")
        retry = resp.status_code >= 500 or resp.status_code == 429
        raise DeliveryError(f"HTTP {resp.status_code}: {text}", retryable=retry)

    def send(self, alert: dict[str, Any]) -> SendResult:
        """Deliver with retries; raises :class:`Abandoned` if the router stops meanwhile."""
        r = self.dest.retry
        attempts = 0

        def attempt() -> float:
            nonlocal attempts
            attempts += 1
            return self._send_once(alert)

        retrying = Retrying(
            stop=stop_after_attempt(r.attempts) | stop_when_event_set(self._stop),
            wait=wait_exponential_jitter(
                initial=r.initial_seconds, max=r.max_seconds, jitter=r.jitter_seconds
            ),
            retry=retry_if_exception(_retryable),
            sleep=sleep_using_event(self._stop),
            reraise=True,
        )
        try:
            send_ms = retrying(attempt)
        except DeliveryError as exc:
            if self._stop.is_set() and exc.retryable and attempts < r.attempts:
                raise Abandoned from None
            return SendResult(ok=False, attempts=attempts, error=str(exc))
        return SendResult(ok=True, attempts=attempts, send_ms=send_ms)


class Policy:
    """Whether to hold an alert back from a destination: stale, quiet hours, rate limit.
    Critical alerts are exempt from quiet hours and rate limits. The rate limit's window lives
    in memory, so a restart starts it afresh."""

    def __init__(self, dest: ResolvedDestination, max_age_minutes: float) -> None:
        self.dest = dest
        self._max_age = timedelta(minutes=max_age_minutes)
        self._sent: deque[datetime] = deque()

    def suppress_reason(self, alert: dict[str, Any], now: datetime) -> str | None:
        detected = parse_ts(alert.get("detected_at"))
        if detected is not None and now - detected > self._max_age:
            return "stale"
        if alert.get("severity") == "critical":
            return None
        if self.dest.quiet_hours and self.dest.quiet_hours.active(now):
            return "quiet_hours"
        limit = self.dest.rate_limit
        if limit:
            horizon = now - timedelta(minutes=limit.per_minutes)
            while self._sent and self._sent[0] <= horizon:
                self._sent.popleft()
            if len(self._sent) >= limit.max_alerts:
                return "rate_limited"
            self._sent.append(now)
        return None


def since_detected_ms(alert: dict[str, Any]) -> float | None:
    """Milliseconds from the alert's ``detected_at`` to now (delivery latency)."""
    detected = parse_ts(alert.get("detected_at"))
    return (datetime.now(UTC) - detected).total_seconds() * 1000 if detected else None


def parse_ts(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else None
