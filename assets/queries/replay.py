"""Replay and audit of one agent session, rebuilt from the lake (append-only, redacted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sql
from assets._db import connect_utc, rows
from streams import lake as lake_layout
from streams.errors import AgentgaugeError


class SessionNotFound(AgentgaugeError):
    """No lake file, or no event of the run or trace asked for."""


@dataclass
class Session:
    run_ids: list[str]
    events: list[dict[str, Any]]
    ceiling_usd: float | None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    breakers: list[dict[str, Any]] = field(default_factory=list)

    def timeline(self) -> list[dict[str, Any]]:
        """Each event with its offset from the first one and the cumulative cost."""
        if not self.events:
            return []
        t0 = self.events[0]["ts"]
        total = 0.0
        out = []
        for e in self.events:
            total += e.get("cost_usd") or 0.0
            out.append(
                {
                    **e,
                    "t_ms": (e["ts"] - t0).total_seconds() * 1000,
                    "cumulative_cost_usd": round(total, 8),
                }
            )
        return out


def load_session(
    lake: Path,
    ident: str,
    run_ceiling: Callable[[str], float],
    warehouse: Path | None = None,
) -> Session:
    """The session of a run or trace ``ident``. ``run_ceiling(workflow)`` is the configured
    per-run cost ceiling, used when the run started without a budget of its own."""
    files = [str(f) for f in lake_layout.committed_files(lake)]
    if not files:
        raise SessionNotFound(f"no lake files under {lake}")
    with connect_utc() as conn:
        found = rows(
            conn.execute(sql.load("duckdb", "replay_events"), {"files": files, "id": ident})
        )
    events = [{k: v for k, v in e.items() if v is not None} for e in found]
    if not events:
        raise SessionNotFound(f"no events with run_id or trace_id {ident!r} in {lake}")
    run_ids = sorted({e["run_id"] for e in events})
    budgets = [
        e["budget_usd"]
        for e in events
        if e["event_type"] == "run_started" and e.get("budget_usd") is not None
    ]
    ceiling = budgets[0] if budgets else run_ceiling(events[0]["workflow"])
    session = Session(run_ids, events, ceiling)
    if warehouse is not None and warehouse.exists():
        with connect_utc(str(warehouse), read_only=True) as conn:
            has = conn.execute(sql.load("duckdb", "alerts_exists")).fetchone()
            if has and has[0]:
                params = {"run_ids": run_ids, "trace_id": ident}
                session.alerts = rows(conn.execute(sql.load("duckdb", "replay_alerts"), params))
                session.breakers = rows(
                    conn.execute(
                        sql.load("duckdb", "replay_breakers"),
                        {
                            "run_ids": run_ids,
                            "customer_id": events[0]["customer_id"],
                            "workflow": events[0]["workflow"],
                            "prompt_versions": sorted(
                                {
                                    str(e["prompt_version"])
                                    for e in events
                                    if e.get("prompt_version")
                                }
                            ),
                            "first_ts": min(e["ts"] for e in events),
                            "last_ts": max(e["ts"] for e in events),
                        },
                    )
                )
    return session


def audit_record(session: Session) -> dict[str, Any]:
    """What produced a run's output: versions, models, tools, reviews, status, source events."""
    ev = session.events

    def distinct(key: str) -> list[str]:
        return sorted({str(e[key]) for e in ev if e.get(key) is not None})

    finished = [e for e in ev if e["event_type"] == "run_finished"]
    reviews = [
        {
            "reviewer_id": e.get("reviewer_id"),
            "outcome": e.get("outcome"),
            "ts": e["ts"].isoformat(),
        }
        for e in ev
        if e["event_type"] == "human_review"
    ]
    return {
        "run_ids": session.run_ids,
        "trace_ids": distinct("trace_id"),
        "workflow": ev[0]["workflow"],
        "customer_id": ev[0]["customer_id"],
        "segment": ev[0]["segment"],
        "agent_versions": distinct("agent_version"),
        "prompt_versions": distinct("prompt_version"),
        "policy_versions": distinct("policy_version"),
        "models": distinct("model"),
        "tools": distinct("tool"),
        "tool_calls": [
            {
                "tool": e.get("tool"),
                "args_hash": e.get("args_hash"),
                "status": e.get("status"),
                "ts": e["ts"].isoformat(),
            }
            for e in ev
            if e["event_type"] == "tool_call"
        ],
        "reviews": reviews,
        "final_status": finished[0]["status"] if finished else None,
        "halt_reason": finished[0].get("reason") if finished else None,
        # Breakers opened or released on the run, its customer, workflow or prompt version
        # while it ran (from the warehouse's alerts): who, why, until when.
        "breakers": session.breakers,
        "total_cost_usd": round(sum(e.get("cost_usd") or 0.0 for e in ev), 8),
        "event_ids": [e["event_id"] for e in ev],
    }
