"""Opening and releasing breakers by hand (``agentgauge breaker``): a control record on the
control topic, which every gauge follows, and an alert record (``breaker_opened`` /
``breaker_released``) on the alerts topic, which the router sends to on-call and the warehouse
keeps, with who and why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from streams.contract import format_ts
from streams.controls import (
    Breaker,
    BreakerState,
    breaker_alert,
    control_key,
    opened_record,
    released_record,
)
from streams.errors import ConfigError, KafkaUnavailable
from streams.settings import Settings

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``45s``."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ConfigError(f"--for {text!r}: use a number and s, m, h or d (30m, 2h)")
    return timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2)])


def _send(s: Settings, records: list[tuple[str, bytes, bytes]]) -> None:
    conn = s.connection()
    if not conn.reachable():
        raise KafkaUnavailable(f"cannot reach Kafka at {s.bootstrap_servers}")
    producer = conn.producer(acks="all", linger_ms=0)
    try:
        futures = [producer.send(topic, key=key, value=value) for topic, key, value in records]
        producer.flush(10)
        for f in futures:
            f.get(timeout=10)
    finally:
        producer.close(5)


def open_breakers(
    s: Settings, targets: list[tuple[str, str]], reason: str, actor: str, hold: timedelta | None
) -> list[dict[str, Any]]:
    """Open a breaker on each (scope, key); returns the alert records written."""
    if not reason.strip():
        raise ConfigError("--reason is required: say why, on-call reads it")
    now = datetime.now(UTC)
    opened_at = format_ts(now)
    until = format_ts(now + hold) if hold else None
    records: list[tuple[str, bytes, bytes]] = []
    alerts = []
    for scope, key in targets:
        alert = breaker_alert("breaker_opened", scope, key, reason, actor, opened_at, until)
        breaker = Breaker(scope, key, reason, opened_at, until, alert["alert_id"], actor)
        records.append((s.topic_controls, control_key(scope, key), opened_record(breaker)))
        records.append((s.topic_alerts, alert["alert_id"].encode(), orjson.dumps(alert)))
        alerts.append(alert)
    _send(s, records)
    return alerts


def release_breakers(
    s: Settings, targets: list[tuple[str, str]], reason: str, actor: str
) -> list[dict[str, Any]]:
    """Release the breaker on each (scope, key); returns the alert records written."""
    released_at = format_ts(datetime.now(UTC))
    records: list[tuple[str, bytes, bytes]] = []
    alerts = []
    for scope, key in targets:
        alert = breaker_alert("breaker_released", scope, key, reason, actor, released_at, None)
        records.append(
            (s.topic_controls, control_key(scope, key), released_record(scope, key, reason, actor))
        )
        records.append((s.topic_alerts, alert["alert_id"].encode(), orjson.dumps(alert)))
        alerts.append(alert)
    _send(s, records)
    return alerts


def list_breakers(s: Settings) -> list[Breaker]:
    """The breakers open now, from the control topic."""
    state = BreakerState()
    for rec in s.connection().read_all(s.topic_controls, idle_ms=500):
        state.apply(rec.value)
    return state.open_breakers()
