"""A small hand-made event set whose scorecard is worked out by hand in test_scorecards.py."""

from __future__ import annotations

from typing import Any

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def ev(
    run: str, n: int, event_type: str, ts: str, segment: str = "seg", **f: Any
) -> dict[str, Any]:
    base = {
        "event_id": f"{run}-{n}",
        "schema_version": "1.0",
        "event_type": event_type,
        "ts": ts,
        "trace_id": TRACE,
        "run_id": run,
        "workflow": "wf",
        "customer_id": "c1",
        "segment": segment,
        "prompt_version": "p1",
        "policy_version": "q1",
        "cohort": "control",
    }
    return {**base, **f}


def events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(first file, second file); the second re-sends one event (a duplicate)."""
    w1 = [
        # r1: success, 1 tool call, cost 0.10 + 0.05, duration reported 1000 ms, quality 0.9
        ev("r1", 1, "run_started", "2026-11-09T10:00:00Z"),
        ev("r1", 2, "model_call", "2026-11-09T10:00:10Z", model="gpt-4o", cost_usd=0.10, attempt=1),
        ev("r1", 3, "tool_call", "2026-11-09T10:00:20Z", tool="t", status="ok", cost_usd=0.05),
        ev(
            "r1",
            4,
            "run_finished",
            "2026-11-09T10:01:00Z",
            status="success",
            duration_ms=1000.0,
            quality_score=0.9,
        ),
        # r2: no run_started; a retry (attempt 2 costs 0.20); errors tool_error + timeout and a
        # critical (fatal) policy violation; failure
        ev("r2", 1, "model_call", "2026-11-10T09:00:00Z", model="gpt-4o", cost_usd=0.20, attempt=1),
        ev("r2", 2, "retry", "2026-11-10T09:00:05Z", reason="rate_limit", attempt=2),
        ev("r2", 3, "model_call", "2026-11-10T09:00:10Z", model="gpt-4o", cost_usd=0.20, attempt=2),
        ev("r2", 4, "error", "2026-11-10T09:00:20Z", category="tool_error"),
        ev("r2", 5, "error", "2026-11-10T09:00:30Z", category="timeout"),
        ev("r2", 7, "error", "2026-11-10T09:00:40Z", category="policy_violation", fatal=True),
        ev("r2", 6, "run_finished", "2026-11-10T10:00:00Z", status="failure"),
        # r4: escalated and overridden; errors timeout + tool_error (a tie with r2's); quality 0.5
        ev("r4", 1, "run_started", "2026-11-11T08:00:00Z"),
        ev("r4", 2, "error", "2026-11-11T08:00:01Z", category="timeout"),
        ev("r4", 3, "error", "2026-11-11T08:00:02Z", category="tool_error"),
        ev("r4", 4, "escalation", "2026-11-11T08:00:03Z", reason="unsure", queue="tier2"),
        ev("r4", 5, "human_review", "2026-11-11T08:10:00Z", outcome="overridden"),
        ev(
            "r4",
            6,
            "run_finished",
            "2026-11-11T08:11:00Z",
            status="escalated",
            duration_ms=5000.0,
            quality_score=0.5,
        ),
        # r5: other segment, success, cost 0.50, a policy violation that is not critical
        ev("r5", 1, "run_started", "2026-11-12T08:00:00Z", segment="s2"),
        ev("r5", 2, "model_call", "2026-11-12T08:00:01Z", segment="s2", model="o3", cost_usd=0.50),
        ev(
            "r5",
            4,
            "error",
            "2026-11-12T08:00:02Z",
            segment="s2",
            category="policy_violation",
            fatal=False,
        ),
        ev(
            "r5",
            3,
            "run_finished",
            "2026-11-12T08:00:03Z",
            segment="s2",
            status="success",
            duration_ms=3000.0,
        ),
        # r6: open (no run_finished): not counted
        ev("r6", 1, "run_started", "2026-11-12T09:00:00Z"),
        ev("r6", 2, "model_call", "2026-11-12T09:00:01Z", model="o3", cost_usd=9.0),
        # r7: canary; two run_finished, the earliest (success, quality 0.85) wins
        ev("r7", 1, "run_started", "2026-11-13T09:00:00Z", cohort="canary"),
        ev(
            "r7",
            2,
            "run_finished",
            "2026-11-13T09:00:02Z",
            cohort="canary",
            status="success",
            duration_ms=2000.0,
            quality_score=0.85,
        ),
        ev("r7", 3, "run_finished", "2026-11-13T09:05:00Z", cohort="canary", status="failure"),
        # r3: spans the week boundary; the new prompt p2 first appears here (Sunday of W1)
        ev("r3", 1, "run_started", "2026-11-15T23:59:00+00:00", prompt_version="p2"),
        ev(
            "r3",
            2,
            "model_call",
            "2026-11-16T00:59:30+01:00",
            prompt_version="p2",
            model="gpt-4o",
            cost_usd=0.30,
        ),
        ev("r3", 3, "run_finished", "2026-11-16T00:00:30Z", prompt_version="p2", status="success"),
    ]
    duplicate = [dict(w1[1])]  # r1's model call, re-sent
    return w1, duplicate


ALERTS = [
    {
        "alert_id": "a" * 32,
        "rule": "run_cost_ceiling",
        "severity": "critical",
        "workflow": "wf",
        "run_id": "r2",
        "observed": 0.4,
        "threshold": 0.3,
        "first_event_ts": "2026-11-10T09:00:00Z",
        "detected_at": "2026-11-10T09:00:11Z",
        "ceilings_version": "v",
        "runbook": "x",
    },
]
