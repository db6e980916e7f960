"""Deterministic synthetic agent traffic, with optional injected incidents.

The same ``seed`` always yields the same events (ids included). Events are returned sorted by
``ts``. Incidents are placed at fixed fractions of the simulated span so tests can find them.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.contract import (
    ERROR_CATEGORIES,
    RETRY_REASONS,
    RETRY_STRATEGIES,
    REVIEW_OUTCOMES,
    SCHEMA_VERSION,
    format_ts,
)
from streams.errors import ConfigError
from streams.pricing import PriceTable

# Retries the simulated agents make on their own, and the categories a run fails with
# (a budget halt is simulated separately, as the cost runaway).
_AUTOMATIC_STRATEGIES = tuple(s for s in RETRY_STRATEGIES if s != "human")
_FAILURE_CATEGORIES = tuple(c for c in ERROR_CATEGORIES if c != "budget_exceeded")

INCIDENTS = (
    "cost_runaway",
    "tool_loop",
    "retry_storm",
    "latency_spike",
    "error_spike",
    "success_drift",
)

# Incidents that can be scheduled at any time, for a workflow or one of its segments.
WINDOWED_INCIDENTS = ("error_spike", "latency_spike", "retry_storm", "cost_spike")

WORKFLOWS: dict[str, dict[str, Any]] = {
    "support_triage": {
        "tools": ["kb_search", "ticket_lookup", "crm_update"],
        "model": "gpt-4o-mini",
    },
    "refund_approval": {
        "tools": ["order_lookup", "payment_refund", "policy_check"],
        "model": "gpt-4o",
    },
    "kyc_review": {
        "tools": ["id_verify", "sanctions_check", "doc_ocr"],
        "model": "claude-sonnet-4",
    },
    "code_review": {"tools": ["repo_read", "run_tests", "lint"], "model": "claude-sonnet-4"},
    "sales_outreach": {"tools": ["crm_search", "email_draft"], "model": "gpt-4.1-mini"},
    "doc_qa": {"tools": ["vector_search", "doc_fetch"], "model": "gemini-2.5-flash"},
}
SEGMENTS = ("enterprise", "mid_market", "smb", "self_serve")
ESCALATION_QUEUES = ("tier2", "compliance", "finance_ops")


@dataclass(frozen=True)
class Incident:
    """A scheduled incident: runs of ``workflow`` (of ``segment`` only, when given) that start in
    [start, end) are affected; ``burst_runs`` more such runs are added inside it."""

    kind: str
    start: datetime
    end: datetime
    workflow: str
    segment: str | None = None
    burst_runs: int = 0

    def hits(self, kind: str, workflow: str, segment: str, t0: datetime) -> bool:
        return (
            kind == self.kind
            and workflow == self.workflow
            and (self.segment is None or segment == self.segment)
            and self.start <= t0 < self.end
        )


@dataclass
class SimConfig:
    runs: int = 1000
    seed: int = 7
    start: datetime = field(default_factory=lambda: default_start(datetime.now(UTC)))
    days: float = 14.0
    incidents: tuple[str, ...] = ()
    customers: int = 60
    # The incident-time workflow; every incident hits it so windowed rules can be checked.
    incident_workflow: str = "refund_approval"
    drift_segment: str = "smb"
    scheduled: tuple[Incident, ...] = ()


def default_start(now: datetime) -> datetime:
    """Monday 00:00 UTC two ISO weeks before the current one."""
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday - timedelta(days=14)


@dataclass(frozen=True)
class IncidentWindows:
    """Where each incident sits, as [start, end) datetimes."""

    windows: dict[str, tuple[datetime, datetime]]

    def active(self, name: str, ts: datetime) -> bool:
        w = self.windows.get(name)
        return w is not None and w[0] <= ts < w[1]


def incident_windows(cfg: SimConfig) -> IncidentWindows:
    span = timedelta(days=cfg.days)
    out: dict[str, tuple[datetime, datetime]] = {}
    minutes = timedelta(minutes=1)
    placements = {
        "retry_storm": (0.55, 15),
        "latency_spike": (0.65, 20),
        "error_spike": (0.75, 20),
        "cost_runaway": (0.45, 30),
        "tool_loop": (0.35, 30),
    }
    for name in cfg.incidents:
        if name == "success_drift":  # the last 40% of the span: the final week of a 14-day sim
            out[name] = (cfg.start + span * 0.6, cfg.start + span)
        elif name in placements:
            frac, mins = placements[name]
            begin = cfg.start + span * frac
            out[name] = (begin, begin + minutes * mins)
    return IncidentWindows(out)


class _Sim:
    def __init__(self, cfg: SimConfig, prices: PriceTable) -> None:
        unknown = set(cfg.incidents) - set(INCIDENTS)
        if unknown:
            raise ConfigError(f"unknown incidents {sorted(unknown)}; choose from {INCIDENTS}")
        bad = {i.kind for i in cfg.scheduled} - set(WINDOWED_INCIDENTS)
        if bad:
            raise ConfigError(
                f"unknown scheduled incidents {sorted(bad)}; choose from {WINDOWED_INCIDENTS}"
            )
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.prices = prices
        self.inc = incident_windows(cfg)
        self.customers = [
            (f"cust-{i:04d}", SEGMENTS[min(3, int(self.rng.random() ** 1.3 * 4))])
            for i in range(cfg.customers)
        ]
        self.by_segment = {
            seg: [c for c in self.customers if c[1] == seg] or self.customers[:1]
            for seg in SEGMENTS
        }
        self.rollout_at = cfg.start + timedelta(days=cfg.days) * 0.5
        self.rollout_full_at = cfg.start + timedelta(days=cfg.days) * 0.8
        self.policy_at = cfg.start + timedelta(days=cfg.days) * 0.3

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hex(self, nbytes: int) -> str:
        return f"{self.rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def _run_times(self) -> list[datetime]:
        """Start times with a diurnal shape (busier in working hours UTC)."""
        span_s = self.cfg.days * 86400
        out: list[datetime] = []
        while len(out) < self.cfg.runs:
            t = self.rng.random() * span_s
            hour = (t / 3600) % 24
            weight = 0.35 + 0.65 * math.exp(-(((hour - 14) / 5) ** 2))
            if self.rng.random() < weight:
                out.append(self.cfg.start + timedelta(seconds=t))
        return sorted(out)

    def events(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        wf_names = list(WORKFLOWS)
        planned: list[tuple[datetime, str | None, str | None]] = [
            (t0, None, None) for t0 in self._run_times()
        ]
        # Incidents get dedicated runs of the incident workflow inside their window, so they
        # exist whatever the run count: 3 offending runs each for the per-run rules, a burst of
        # 60 runs for the windowed ones.
        for name, (begin, end) in self.inc.windows.items():
            if name == "success_drift":
                continue
            count = 3 if name in ("cost_runaway", "tool_loop") else 60
            step = (end - begin) / (count + 1)
            special = name if name in ("cost_runaway", "tool_loop") else None
            planned += [
                (begin + step * (k + 1), self.cfg.incident_workflow, special) for k in range(count)
            ]
        planned.sort(key=lambda p: p[0])
        for t0, workflow, special in planned:
            wf = workflow or wf_names[self.rng.randrange(len(wf_names))]
            out.extend(self._run(wf, t0, special))
        out.sort(key=lambda e: (e["ts"], e["run_id"], e["_seq"]))
        for e in out:
            del e["_seq"]
        return out

    def _hit(self, kind: str, workflow: str, segment: str, t0: datetime) -> bool:
        return any(i.hits(kind, workflow, segment, t0) for i in self.cfg.scheduled)

    def _run(
        self, workflow: str, t0: datetime, special: str | None, segment: str | None = None
    ) -> list[dict[str, Any]]:
        rng = self.rng
        cfg = self.cfg
        spec = WORKFLOWS[workflow]
        pool = self.customers if segment is None else self.by_segment[segment]
        customer, segment = pool[rng.randrange(len(pool))]
        cohort = "canary" if rng.random() < 0.2 else "control"
        if t0 >= self.rollout_full_at or (t0 >= self.rollout_at and cohort == "canary"):
            prompt = f"{workflow}-v2"
        else:
            prompt = f"{workflow}-v1"
        policy = "pol-2026.11" if t0 >= self.policy_at else "pol-2026.10"
        base = {
            "schema_version": SCHEMA_VERSION,
            "trace_id": self._hex(16),
            "run_id": f"run-{self._uuid()[:18]}",
            "workflow": workflow,
            "customer_id": customer,
            "segment": segment,
            "session_id": f"sess-{self._hex(6)}",
            "environment": "prod",
            "cohort": cohort,
            "agent_version": "agent-3.2.0" if t0 < self.rollout_at else "agent-3.3.0",
            "prompt_version": prompt,
            "policy_version": policy,
        }
        events: list[dict[str, Any]] = []
        clock = [t0]

        def emit(event_type: str, advance_ms: float = 0.0, **fields: Any) -> None:
            clock[0] += timedelta(milliseconds=advance_ms)
            ev = {
                **base,
                "event_id": self._uuid(),
                "event_type": event_type,
                "ts": format_ts(clock[0]),
                "span_id": self._hex(8),
                "_seq": len(events),
            }
            ev.update({k: v for k, v in fields.items() if v is not None})
            events.append(ev)

        inc = self.inc
        legacy = workflow == cfg.incident_workflow
        storm = (legacy and inc.active("retry_storm", t0)) or self._hit(
            "retry_storm", workflow, segment, t0
        )
        slow = (legacy and inc.active("latency_spike", t0)) or self._hit(
            "latency_spike", workflow, segment, t0
        )
        erring = (legacy and inc.active("error_spike", t0)) or self._hit(
            "error_spike", workflow, segment, t0
        )
        costly = self._hit("cost_spike", workflow, segment, t0)  # 5x the tokens of every call
        drift = inc.active("success_drift", t0) and segment == cfg.drift_segment

        def model_call(model: str, in_tok: int, out_tok: int, attempt: int) -> None:
            latency = rng.lognormvariate(6.6, 0.35) * (6.0 if slow else 1.0)
            cost = self.prices.cost(model, in_tok, out_tok) or 0.0
            emit(
                "model_call",
                advance_ms=latency,
                model=model,
                provider=_provider(model),
                input_tokens=in_tok,
                output_tokens=out_tok,
                cost_usd=round(cost, 6),
                latency_ms=round(latency, 1),
                attempt=attempt,
                status="ok",
            )

        budget = round(rng.choice([0.5, 1.0, 2.0]), 2) if rng.random() < 0.3 else None
        emit("run_started", budget_usd=budget)

        n_model = 1 + int(rng.random() * 4)
        n_tools = int(rng.random() * 4)
        if special == "cost_runaway":
            n_model = 40
        if special == "tool_loop":
            n_tools = 30
        model = spec["model"]
        loop_hash = "sha256:" + hashlib.sha256(base["run_id"].encode()).hexdigest()[:32]
        for step in range(max(n_model, n_tools)):
            if step < n_model:
                in_tok = int(rng.lognormvariate(7.3, 0.5))
                out_tok = int(rng.lognormvariate(5.6, 0.6))
                if special == "cost_runaway":
                    in_tok, out_tok, model = in_tok * 12, out_tok * 6, "claude-opus-4"
                if costly:
                    in_tok, out_tok = in_tok * 5, out_tok * 5
                model_call(model, in_tok, out_tok, attempt=1)
                retry_p = 0.6 if storm else 0.04
                if rng.random() < retry_p:
                    reason = "rate_limit" if storm else rng.choice(RETRY_REASONS)
                    emit(
                        "retry",
                        advance_ms=50,
                        reason=reason,
                        attempt=2,
                        strategy=rng.choice(_AUTOMATIC_STRATEGIES),
                    )
                    model_call(model, in_tok, out_tok, attempt=2)
            if step < n_tools:
                tool = spec["tools"][
                    0 if special == "tool_loop" else rng.randrange(len(spec["tools"]))
                ]
                status = "error" if rng.random() < (0.5 if erring else 0.03) else "ok"
                ahash = loop_hash if special == "tool_loop" else "sha256:" + self._hex(16)
                emit(
                    "tool_call",
                    advance_ms=rng.lognormvariate(5.0, 0.5),
                    tool=tool,
                    status=status,
                    latency_ms=round(rng.lognormvariate(5.0, 0.5), 1),
                    args_hash=ahash,
                    attempt=1,
                )
                if status == "error":
                    emit(
                        "error",
                        advance_ms=5,
                        category="tool_error",
                        code="TOOL_5XX",
                        message=f"{tool} returned 503",
                        fatal=False,
                    )
        if rng.random() < 0.7:
            emit(
                "decision",
                advance_ms=20,
                decision=rng.choice(["approve", "deny", "answer"]),
                confidence=round(rng.betavariate(8, 2), 3),
            )
        fail_p = 0.05 + (0.25 if erring else 0.0) + (0.20 if drift else 0.0)
        esc_p = 0.08 + (0.10 if drift else 0.0)
        if prompt.endswith("v2") and cohort == "canary":
            esc_p += 0.01
        roll = rng.random()
        status = "success"
        if special == "cost_runaway":
            emit(
                "error",
                advance_ms=10,
                category="budget_exceeded",
                code="BUDGET",
                message="run exceeded its cost budget",
                fatal=True,
            )
            status = "halted"
        elif roll < fail_p:
            category = rng.choice(_FAILURE_CATEGORIES)
            emit(
                "error",
                advance_ms=10,
                category=category,
                code=category.upper(),
                message=f"{category.replace('_', ' ')} while handling request",
                fatal=True,
            )
            status = "failure"
        elif roll < fail_p + esc_p:
            emit(
                "escalation",
                advance_ms=100,
                reason="low confidence",
                queue=rng.choice(ESCALATION_QUEUES),
            )
            outcome = rng.choices(REVIEW_OUTCOMES, [0.6, 0.3, 0.1])[0]
            emit(
                "human_review",
                advance_ms=rng.uniform(30_000, 600_000),
                outcome=outcome,
                reviewer_id=f"reviewer-{rng.randrange(12):02d}",
            )
            status = "escalated"
        duration = (clock[0] - t0).total_seconds() * 1000 + 30
        emit(
            "run_finished",
            advance_ms=30,
            status=status,
            duration_ms=round(duration, 1),
            quality_score=round(rng.betavariate(9, 2), 3) if status == "success" else None,
        )
        return events


def _provider(model: str) -> str:
    if model.startswith("claude"):
        return "anthropic"
    if model.startswith("gemini"):
        return "gcp.gemini"
    return "openai"


def simulate(cfg: SimConfig, prices: PriceTable) -> list[dict[str, Any]]:
    """All events of a simulation, sorted by ts."""
    return _Sim(cfg, prices).events()


def _diurnal(hour: float) -> float:
    return 0.35 + 0.65 * math.exp(-(((hour - 14) / 5) ** 2))


_DIURNAL_MEAN = sum(_diurnal(h + 0.5) for h in range(24)) / 24


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 50:  # the normal approximation, rounded
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def traffic(
    runs_per_hour: Mapping[str, float],
    cfg: SimConfig,
    prices: PriceTable,
) -> Iterator[dict[str, Any]]:
    """Events of ``cfg.days`` of traffic at a given mean rate per workflow (a Poisson count per
    hour, shaped like a working day) with ``cfg.scheduled`` incidents, streamed an hour at a
    time: each hour's runs come sorted by ts, so memory stays one hour deep whatever the span.
    (``cfg.runs`` and ``cfg.incidents`` are not used.)"""
    sim = _Sim(cfg, prices)
    rng = sim.rng
    hours = math.ceil(cfg.days * 24)
    for h in range(hours):
        begin = cfg.start + timedelta(hours=h)
        shape = _diurnal(begin.hour + 0.5) / _DIURNAL_MEAN
        planned: list[tuple[datetime, str, str | None]] = []
        for wf, rate in runs_per_hour.items():
            n = _poisson(rng, rate * shape)
            planned += [
                (begin + timedelta(seconds=rng.random() * 3600), wf, None) for _ in range(n)
            ]
        for inc in cfg.scheduled:
            if inc.burst_runs and begin <= inc.start < begin + timedelta(hours=1):
                step = (inc.end - inc.start) / (inc.burst_runs + 1)
                planned += [
                    (inc.start + step * (k + 1), inc.workflow, inc.segment)
                    for k in range(inc.burst_runs)
                ]
        planned.sort(key=lambda p: p[0])
        out: list[dict[str, Any]] = []
        for t0, wf, segment in planned:
            out.extend(sim._run(wf, t0, None, segment))
        out.sort(key=lambda e: (e["ts"], e["run_id"], e["_seq"]))
        for e in out:
            del e["_seq"]
            yield e
