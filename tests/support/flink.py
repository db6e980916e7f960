"""Hand-made event streams for the Flink job tests, with their expected outcomes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from streams.lake import committed_files

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@dataclass
class Scenario:
    events: list[dict[str, Any]] = field(default_factory=list)
    raw_bad: list[tuple[str, str]] = field(default_factory=list)  # (payload, reason prefix)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    cost_breaches: dict[str, float] = field(default_factory=dict)  # run_id -> threshold
    tool_breaches: dict[str, float] = field(default_factory=dict)
    loops: set[str] = field(default_factory=set)
    customer_breaches: set[str] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    # event_id -> (text, replacement) applied to its JSON: escapes a careless producer might write
    escapes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _n: int = 0

    def event(
        self,
        run: str,
        event_type: str,
        *,
        workflow: str = "support_triage",
        customer: str = "cust-a",
        minutes: float = 0.0,
        **fields: Any,
    ) -> dict[str, Any]:
        self._n += 1
        e = {
            "event_id": f"{run}-e{self._n}",
            "schema_version": "1.0",
            "event_type": event_type,
            "ts": (T0 + timedelta(minutes=minutes, milliseconds=self._n)).isoformat(),
            "trace_id": hashlib.md5(run.encode()).hexdigest(),
            "run_id": run,
            "workflow": workflow,
            "customer_id": customer,
            "segment": "enterprise",
            **fields,
        }
        self.events.append(e)
        return e

    def payloads(self) -> list[bytes]:
        good = []
        for e in self.events:
            text = json.dumps(e)
            for plain, escaped in self.escapes.get(e["event_id"], []):
                assert plain in text, plain
                text = text.replace(plain, escaped)
            good.append(text.encode())
        return (
            good
            + [json.dumps(d).encode() for d in self.duplicates]
            + [p.encode() for p, _ in self.raw_bad]
        )


def rules_scenario() -> Scenario:
    s = Scenario()
    # A: workflow ceiling 2.00 (refund_approval); the third call crosses; every event re-sent.
    s.event("run-A", "run_started", workflow="refund_approval")
    for i in range(3):
        s.event(
            "run-A",
            "model_call",
            workflow="refund_approval",
            model="gpt-4o",
            cost_usd=0.8,
            minutes=i + 1,
        )
    s.event(
        "run-A", "model_call", workflow="refund_approval", model="gpt-4o", cost_usd=0.8, minutes=5
    )
    s.duplicates += [dict(e) for e in s.events if e["run_id"] == "run-A"]
    s.cost_breaches["run-A"] = 2.0
    # B: run_started.budget_usd 0.50 wins over the default 1.00.
    s.event("run-B", "run_started", budget_usd=0.5)
    s.event("run-B", "model_call", model="gpt-4o", cost_usd=0.3, minutes=1)
    s.event("run-B", "tool_call", tool="search", status="ok", cost_usd=0.3, minutes=2)
    s.cost_breaches["run-B"] = 0.5
    # C: the crossing event comes before run_started: judged against the default 1.00.
    s.event("run-C", "model_call", model="gpt-4o", cost_usd=1.5, minutes=1)
    s.event("run-C", "run_started", budget_usd=10.0, minutes=2)
    s.cost_breaches["run-C"] = 1.0
    # D: under the default ceiling; E: over the default but under its own budget.
    for i in range(3):
        s.event("run-D", "model_call", model="gpt-4o", cost_usd=0.2, minutes=i)
    s.event("run-E", "run_started", budget_usd=5.0)
    for i in range(3):
        s.event("run-E", "model_call", model="gpt-4o", cost_usd=1.0, minutes=i + 1)
    # F: run_started.max_tool_calls 3; G: default 25 tool calls; H: a loop of 5.
    s.event("run-F", "run_started", max_tool_calls=3)
    for i in range(5):
        s.event("run-F", "tool_call", tool="search", status="ok", args_hash=f"h{i}", minutes=i)
    s.tool_breaches["run-F"] = 3
    for i in range(27):
        s.event(
            "run-G",
            "tool_call",
            workflow="doc_qa",
            tool="fetch",
            status="ok",
            args_hash=f"g{i}",
            minutes=i * 0.1,
        )
    s.tool_breaches["run-G"] = 25
    for i in range(6):
        s.event("run-H", "tool_call", tool="lookup", status="ok", args_hash="same", minutes=i)
    s.loops.add("run-H")
    # Customer spend: three runs of $10 in one hour with big budgets: 30 > 25, alerted once.
    for r in ("run-S1", "run-S2", "run-S3"):
        s.event(r, "run_started", customer="cust-spend", budget_usd=100.0, minutes=10)
        s.event(r, "model_call", customer="cust-spend", model="o3", cost_usd=10.0, minutes=11)
    s.event("run-S4", "run_started", customer="cust-spend", budget_usd=100.0, minutes=20)
    s.event("run-S4", "model_call", customer="cust-spend", model="o3", cost_usd=10.0, minutes=21)
    s.customer_breaches.add("cust-spend")
    # A producer that bypassed the SDK: the job redacts before landing.
    s.event(
        "run-R",
        "error",
        category="other",
        message="mail jane.doe@example.com now",
        attributes={
            "api_key": "plain-secret-123",
            "X-Api-Key": "hdr-secret-456",  # '-' counts as '_', any case
            "note": "card 4111 1111 1111 1111",
        },
    )
    # The same secrets behind JSON escapes (\u0040 is '@', \u005f '_', \/ '/'): the job reads
    # through them. Python's json.dumps writes every non-ASCII character as such an escape.
    esc = s.event(
        "run-S",
        "error",
        category="other",
        message="mail jill.roe@example.org now, see https://docs.example.org/x",
        attributes={"api_key": "escaped-secret-789", "note": "caf\u00e9"},
    )
    s.escapes[esc["event_id"]] = [
        ("@", "\\u0040"),
        ('"api_key"', '"api\\u005fkey"'),
        ("https://", "https:\\/\\/"),
    ]
    # Bad records, one per class, each with the reason the DLQ must carry.
    good = dict(s.events[1])
    s.secrets = [
        "jane.doe@example.com",
        "plain-secret-123",
        "hdr-secret-456",
        "4111 1111 1111 1111",
        "jill.roe@example.org",
        "escaped-secret-789",
    ]
    s.raw_bad = [
        ('{"event_id": "bad-1", "schema_version": "1.0", "event_ty', "$: invalid JSON"),
        (
            json.dumps({k: v for k, v in good.items() if k != "run_id"} | {"event_id": "bad-2"}),
            "run_id: field required",
        ),
        (
            json.dumps(good | {"event_id": "bad-3", "event_type": "teleport"}),
            "event_type: unknown event type",
        ),
        (
            json.dumps(good | {"event_id": "bad-4", "cost_usd": -1.0}),
            "cost_usd: must be a number >= 0",
        ),
        (json.dumps(good | {"event_id": "bad-5", "ts": "last tuesday"}), "ts: must be an RFC 3339"),
        (
            json.dumps(good | {"event_id": "bad-6", "schema_version": "9.0"}),
            "schema_version: unsupported major",
        ),
        # Types as strict as the SDK's contract: a number in a string, a fraction in a count.
        (json.dumps(good | {"event_id": "bad-7", "cost_usd": "12"}), "cost_usd: must be a number"),
        (
            json.dumps(good | {"event_id": "bad-8", "input_tokens": 3.5}),
            "input_tokens: must be an integer",
        ),
    ]
    return s


def lake_lines(lake: Path) -> list[dict[str, Any]]:
    """Every event in the lake's committed files."""
    out = []
    for f in committed_files(lake):
        out += [orjson.loads(line) for line in f.read_bytes().splitlines() if line.strip()]
    return out


def same_payload(dead_letter: str, original: str) -> bool:
    """Whether a dead letter carries the original payload: the same JSON (redaction may write
    a JSON payload anew, compactly), or the same text when it is not JSON."""
    try:
        return bool(orjson.loads(dead_letter) == orjson.loads(original))
    except orjson.JSONDecodeError:
        return dead_letter == original
