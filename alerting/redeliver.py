"""``alerts redeliver``: re-send the alerts still parked, once a destination works again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alerting.config import AlertingConfig
from alerting.delivery import Sender, since_detected_ms
from alerting.ledger import Ledger, Outcome, Parking


@dataclass
class RedeliverResult:
    delivered: list[Outcome] = field(default_factory=list)
    still_parked: list[tuple[str, str, str]] = field(default_factory=list)  # id, dest, why
    unknown_destination: int = 0  # parked for a destination no longer in alerting.yaml


def redeliver(
    config: AlertingConfig,
    alerts_dir: Path,
    destination: str | None = None,
    on_outcome: Callable[[str, str, bool, str], None] | None = None,
) -> RedeliverResult:
    """Every (alert, destination) the ledger still has as parked, sent again with the
    destination's retries. Success turns the ledger row into ``delivered``; a new failure is
    appended to the parking file. Safe while the router runs (the file is only appended to)."""
    ledger = Ledger(alerts_dir / "router.sqlite")
    parking = Parking(alerts_dir / "undeliverable.jsonl")
    stop = threading.Event()
    senders: dict[str, Sender] = {}
    result = RedeliverResult()
    seen: set[tuple[str, str]] = set()
    try:
        for entry in parking.entries():
            alert, dest = entry.get("alert"), str(entry.get("destination"))
            if not isinstance(alert, dict) or not alert.get("alert_id"):
                continue  # not an alert record: kept in the file for a human
            key = (str(alert["alert_id"]), dest)
            if key in seen or (destination and dest != destination):
                continue
            seen.add(key)
            if ledger.outcome(*key) != "parked":
                continue  # delivered since (by an earlier redeliver)
            if dest not in config.destinations:
                result.unknown_destination += 1
                continue
            if dest not in senders:
                senders[dest] = Sender(config.destinations[dest], config.runbook_base_url, stop)
            sent = senders[dest].send(alert)
            if sent.ok:
                latency = since_detected_ms(alert)
                o = Outcome(key[0], dest, "delivered", sent.attempts, None, latency, sent.send_ms)
                ledger.mark_redelivered(o)
                result.delivered.append(o)
            else:
                why = f"redeliver: {sent.error}"
                parking.park(dest, why, sent.attempts, alert)
                result.still_parked.append((key[0], dest, why))
            if on_outcome:
                on_outcome(key[0], dest, sent.ok, sent.error or "")
    finally:
        for s in senders.values():
            s.close()
        ledger.close()
    return result
