"""Release gates (docs/gates.md): a candidate prompt version's runs against the rest of its
workflow's, judged by the versioned thresholds of ``gates.yaml``. Deterministic: the same
warehouse and window give the same verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assets import _db as q
from streams.errors import ConfigError
from streams.packaged import packaged_path

Result = Literal["pass", "fail", "insufficient_data"]
EXIT_CODES: dict[str, int] = {"pass": 0, "fail": 1, "insufficient_data": 3}


class GatesError(ConfigError):
    """gates.yaml is missing or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    min_runs: int = Field(default=30, ge=1)
    escalation_max_increase: float = Field(default=0.05, ge=0, le=1)
    success_max_drop: float = Field(default=0.05, ge=0, le=1)
    p95_duration_ms_max: float = Field(default=60_000, gt=0)
    critical_policy_violations_max: int = Field(default=0, ge=0)
    quality_min_pass_rate: float = Field(default=0.85, ge=0, le=1)


class Defaults(Thresholds):
    # The scorecard's quality_pass_rate uses it too, so it is one number for every workflow.
    quality_pass_mark: float = Field(default=0.8, ge=0, le=1)


class Override(_Strict):
    min_runs: int | None = Field(default=None, ge=1)
    escalation_max_increase: float | None = Field(default=None, ge=0, le=1)
    success_max_drop: float | None = Field(default=None, ge=0, le=1)
    p95_duration_ms_max: float | None = Field(default=None, gt=0)
    critical_policy_violations_max: int | None = Field(default=None, ge=0)
    quality_min_pass_rate: float | None = Field(default=None, ge=0, le=1)


class Gates(_Strict):
    version: str = Field(min_length=1)
    defaults: Defaults = Field(default_factory=Defaults)
    workflows: dict[str, Override] = Field(default_factory=dict)

    def for_workflow(self, workflow: str) -> Thresholds:
        """The defaults with the workflow's overrides applied."""
        base = self.defaults.model_dump(exclude={"quality_pass_mark"})
        override = self.workflows.get(workflow)
        if override is not None:
            base.update(override.model_dump(exclude_none=True))
        return Thresholds(**base)


def default_gates_file() -> Path:
    return packaged_path("assets", "config", "gates.yaml")


def load_gates(path: Path | None = None) -> Gates:
    """The gates of ``path`` (default: the packaged file); every problem names the field."""
    path = path or default_gates_file()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GatesError(f"cannot read gates file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise GatesError(f"gates file {path} is not valid YAML: {exc}") from None
    try:
        return Gates.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise GatesError(f"gates file {path}: {problems}") from None


@dataclass(frozen=True)
class Check:
    name: str
    observed: float | None
    threshold: float
    passed: bool | None  # None: not judged (no quality scores in the window)
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    result: Result
    workflow: str
    candidate: str
    since: str
    gates_version: str
    candidate_runs: int
    control_runs: int
    min_runs: int
    checks: list[Check] = field(default_factory=list)
    message: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.result]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sides(
    conn: duckdb.DuckDBPyConnection, workflow: str, candidate: str, since: date, mark: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = q.rows(
        q.run(
            conn,
            "gate_sides",
            workflow=workflow,
            candidate=candidate,
            since=since,
            pass_mark=mark,
        )
    )
    empty: dict[str, Any] = {"runs": 0}
    cand = next((r for r in rows if r["is_candidate"]), empty)
    ctrl = next((r for r in rows if not r["is_candidate"]), empty)
    return cand, ctrl


def _checks(cand: dict[str, Any], ctrl: dict[str, Any], t: Thresholds) -> list[Check]:
    both = cand["runs"] > 0 and ctrl["runs"] > 0
    out: list[Check] = []
    if both:
        esc_max = ctrl["escalation_rate"] + t.escalation_max_increase
        out.append(
            Check(
                "escalation_rate",
                cand["escalation_rate"],
                round(esc_max, 10),
                cand["escalation_rate"] <= esc_max + 1e-12,
                f"control {ctrl['escalation_rate']:.1%} + {t.escalation_max_increase * 100:g} pts",
            )
        )
        suc_min = ctrl["success_rate"] - t.success_max_drop
        out.append(
            Check(
                "success_rate",
                cand["success_rate"],
                round(suc_min, 10),
                cand["success_rate"] >= suc_min - 1e-12,
                f"control {ctrl['success_rate']:.1%} - {t.success_max_drop * 100:g} pts",
            )
        )
    if cand["runs"] > 0:
        p95 = cand["p95_duration_ms"]
        out.append(
            Check(
                "p95_duration_ms",
                p95,
                t.p95_duration_ms_max,
                p95 is not None and p95 <= t.p95_duration_ms_max,
                "" if p95 is not None else "no run reported a duration",
            )
        )
        out.append(
            Check(
                "critical_policy_violations",
                float(cand["critical_policy_violations"]),
                float(t.critical_policy_violations_max),
                cand["critical_policy_violations"] <= t.critical_policy_violations_max,
                "error events with category policy_violation and fatal: true",
            )
        )
        scored = int(cand["scored_runs"])
        rate = cand["quality_pass_rate"]
        out.append(
            Check(
                "quality_pass_rate",
                rate,
                t.quality_min_pass_rate,
                None if scored == 0 else rate >= t.quality_min_pass_rate,
                f"{scored} scored run(s)"
                if scored
                else "no run_finished.quality_score: not judged",
            )
        )
    return out


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    gates: Gates,
    workflow: str,
    candidate: str,
    since: date,
) -> Verdict:
    """The candidate's verdict over the runs of ``workflow`` finished since ``since`` (UTC)."""
    t = gates.for_workflow(workflow)
    cand, ctrl = _sides(conn, workflow, candidate, since, gates.defaults.quality_pass_mark)
    checks = _checks(cand, ctrl, t)
    n_cand, n_ctrl = int(cand["runs"]), int(ctrl["runs"])
    base = {
        "workflow": workflow,
        "candidate": candidate,
        "since": since.isoformat(),
        "gates_version": gates.version,
        "candidate_runs": n_cand,
        "control_runs": n_ctrl,
        "min_runs": t.min_runs,
        "checks": checks,
    }
    if n_cand < t.min_runs or n_ctrl < t.min_runs:
        msg = (
            f"insufficient data: the gate needs at least {t.min_runs} finished runs on each side"
            f" since {since.isoformat()}; candidate {candidate!r} has {n_cand}, the rest of"
            f" {workflow!r} has {n_ctrl}"
        )
        if n_cand == 0:
            seen = q.rows(q.run(conn, "gate_prompt_versions", workflow=workflow, since=since))
            names = ", ".join(f"{r['prompt_version']} ({r['runs']})" for r in seen[:10])
            msg += f". Prompt versions seen: {names or 'none'}"
        return Verdict(result="insufficient_data", message=msg, **base)  # type: ignore[arg-type]
    failed = [c.name for c in checks if c.passed is False]
    result: Result = "fail" if failed else "pass"
    msg = f"failed: {', '.join(failed)}" if failed else "every check passed"
    return Verdict(result=result, message=msg, **base)  # type: ignore[arg-type]
