"""The rollback request a failed release gate sends (``agentgauge gate --on-fail-webhook``):
the verdict as a signed JSON webhook, through the alert router's sender (retries with backoff,
HMAC signature, an idempotency key that is the same for the same verdict)."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from pydantic import SecretStr

from alerting.config import ResolvedDestination, Retry
from alerting.delivery import Sender
from assets.gates import Verdict
from streams.errors import AgentgaugeError, ConfigError


class RollbackNotSent(AgentgaugeError):
    """The rollback request was not accepted after every retry."""


def rollback_request(verdict: Verdict) -> dict[str, Any]:
    """The body: ``alert_id`` (the receiver's idempotency key, stable for one verdict), the
    action asked for, and the whole verdict."""
    ident = "|".join(
        (verdict.workflow, verdict.candidate, verdict.since, verdict.gates_version, verdict.result)
    )
    return {
        "alert_id": "gate-" + hashlib.sha256(ident.encode()).hexdigest()[:32],
        "type": "rollback_request",
        "action": "rollback",
        "workflow": verdict.workflow,
        "prompt_version": verdict.candidate,
        "reason": verdict.message,
        "verdict": verdict.to_dict(),
    }


def request_rollback(url: str, verdict: Verdict, secret: SecretStr | None) -> int:
    """POST the signed rollback request; returns how many attempts it took."""
    if secret is None or not secret.get_secret_value():
        raise ConfigError("--on-fail-webhook: set AGENTGAUGE_GATE_SECRET, the signing secret")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--on-fail-webhook {url!r}: must start with http:// or https://")
    dest = ResolvedDestination(
        name="rollback",
        type="webhook",
        url=url,
        secret=secret,
        timeout_seconds=10,
        retry=Retry(attempts=4, initial_seconds=0.5, max_seconds=5, jitter_seconds=0.5),
    )
    sender = Sender(dest, "", threading.Event())
    try:
        result = sender.send(rollback_request(verdict))
    finally:
        sender.close()
    if not result.ok:
        raise RollbackNotSent(
            f"rollback request to {url} failed after {result.attempts} attempt(s): {result.error}"
        )
    return result.attempts
