"""``alerts ack`` / ``alerts resolve``: the alert lifecycle, recorded in the warehouse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from assets import _db as q
from assets import snapshot
from assets.alerts import store_alerts
from streams.errors import AgentgaugeError, ConfigError

Action = Literal["ack", "resolve"]
MIN_PREFIX = 6


class AlertActionError(AgentgaugeError):
    """Unknown, ambiguous or malformed alert id."""


@dataclass(frozen=True)
class ActionResult:
    alert: dict[str, Any]
    action: Action
    actor: str
    at: datetime
    recorded: bool  # False: it had already been acked / resolved (``previous`` says by whom)
    previous: dict[str, Any] | None = None


def _lookup(conn: duckdb.DuckDBPyConnection, prefix: str) -> list[dict[str, Any]]:
    return q.rows(q.run(conn, "alert_lookup", prefix=prefix))


def record_action(
    db_path: Path,
    alert_id: str,
    action: Action,
    actor: str,
    at: datetime,
    note: str | None,
    read_topic: Callable[[], list[dict[str, Any]]],
    published: Path | None = None,
) -> ActionResult:
    """Record who acked/resolved an alert in the warehouse ``db_path`` (then published to
    ``published`` for readers, when given). An id (or a prefix of at least 6 characters) not
    yet in the warehouse is looked up on ``agent-alerts`` through ``read_topic`` first."""
    prefix = alert_id.strip().lower()
    if len(prefix) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
        raise AlertActionError(
            f"alert id {alert_id!r}: give the 32-hex alert_id or at least its first {MIN_PREFIX}"
        )
    if at.tzinfo is None:
        raise ConfigError("at must be timezone-aware")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if published is not None:
        snapshot.ensure_work(db_path, published)
    result = _record(db_path, prefix, alert_id, action, actor, at, note, read_topic)
    if published is not None:
        snapshot.publish(db_path, published)
    return result


def _record(
    db_path: Path,
    prefix: str,
    alert_id: str,
    action: Action,
    actor: str,
    at: datetime,
    note: str | None,
    read_topic: Callable[[], list[dict[str, Any]]],
) -> ActionResult:
    with snapshot.connect_writer(db_path) as conn:
        store_alerts(conn, [])
        found = _lookup(conn, prefix)
        if not found:
            store_alerts(conn, read_topic())
            found = _lookup(conn, prefix)
        if not found:
            raise AlertActionError(f"no alert {alert_id} in the warehouse or on agent-alerts")
        if len(found) > 1:
            raise AlertActionError(f"alert id prefix {alert_id} is ambiguous: give more of it")
        alert = found[0]
        history = q.run(conn, "alert_actions_for", alert_id=alert["alert_id"]).fetchall()
        done = {row[0]: row for row in history}
        # A resolved alert needs no ack; an acked one is acked once.
        previous = done.get(action) or (done.get("resolve") if action == "ack" else None)
        if previous is not None:
            prev = {"action": previous[0], "actor": previous[1], "at": previous[2]}
            return ActionResult(alert, action, actor, at, recorded=False, previous=prev)
        q.run(
            conn,
            "alert_actions_insert",
            alert_id=alert["alert_id"],
            action=action,
            actor=actor,
            acted_at=at,
            note=note,
        )
    return ActionResult(alert, action, actor, at, recorded=True)
