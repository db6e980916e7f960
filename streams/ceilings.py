"""``ceilings.yaml``: the versioned thresholds of the real-time rules (per run, per customer,
per window). The job renders them into its SQL; the application reads the run ceiling for
replays. The default file ships in ``streams/config/``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from streams.errors import ConfigError
from streams.packaged import config_file

_NAME = re.compile(r"^[\w.:@/+-]{1,200}$")


class CeilingsError(ConfigError):
    """The ceilings file cannot be read or breaks its schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Defaults(_Strict):
    run_cost_usd: float = Field(gt=0)
    run_tool_calls: int = Field(ge=1)
    loop_repeats: int = Field(ge=2)
    customer_hourly_usd: float = Field(gt=0)
    run_tokens: int | None = Field(default=None, ge=1)
    run_duration_s: float | None = Field(default=None, gt=0)


class WorkflowOverride(_Strict):
    run_cost_usd: float | None = Field(default=None, gt=0)
    run_tool_calls: int | None = Field(default=None, ge=1)
    loop_repeats: int | None = Field(default=None, ge=2)
    run_tokens: int | None = Field(default=None, ge=1)
    run_duration_s: float | None = Field(default=None, gt=0)


@dataclass(frozen=True)
class RunLimits:
    """A run's own limits (None: no limit)."""

    budget_usd: float | None = None
    max_tool_calls: int | None = None
    max_tokens: int | None = None
    max_duration_s: float | None = None


class CustomerOverride(_Strict):
    customer_hourly_usd: float = Field(gt=0)


class WindowRule(_Strict):
    """One windowed rule: the window's count must reach ``min_count``, its value ``min_ratio``
    times the baseline's (and ``min_rate``, ``min_excess_usd`` where they apply), and its
    p-value ``Windows.max_p_value``."""

    min_count: int = Field(ge=1)
    min_ratio: float = Field(ge=1)
    min_rate: float = Field(default=0.0, ge=0, le=1)
    min_excess_usd: float = Field(default=0.0, ge=0)


class Windows(_Strict):
    size_minutes: int = Field(ge=1, le=60)
    baseline_hours: float = Field(gt=0, le=24 * 14)
    min_baseline_volume: int = Field(ge=1)
    max_p_value: float = Field(gt=0, lt=0.05)
    max_segments: int = Field(ge=1, le=1000)
    retry_storm: WindowRule
    error_rate_spike: WindowRule
    latency_p95_spike: WindowRule
    cost_rate_spike: WindowRule


class Breakers(_Strict):
    """Breakers the job opens when a rule fires (docs/breaker.md)."""

    run_hold_hours: int = Field(default=24, ge=1, le=24 * 30)
    # A customer's breaker holds to the end of the hour whose ceiling fired, and at least this
    # many minutes from the alert (a late or replayed hour still stops the customer a while).
    customer_hold_minutes: int = Field(default=10, ge=1, le=24 * 60)


class Ceilings(_Strict):
    version: str = Field(min_length=1)
    defaults: Defaults
    workflows: dict[str, WorkflowOverride] = Field(default_factory=dict)
    customers: dict[str, CustomerOverride] = Field(default_factory=dict)
    windows: Windows
    breakers: Breakers = Field(default_factory=Breakers)

    @field_validator("workflows", "customers")
    @classmethod
    def _names(cls, value: dict[str, object]) -> dict[str, object]:
        bad = [k for k in value if not _NAME.match(k)]
        if bad:
            raise ValueError(f"invalid names {bad}: use letters, digits and . : @ / + - _")
        return value

    @classmethod
    def load(cls, path: Path | None = None) -> Ceilings:
        """The ceilings of ``path``, or of the packaged default file."""
        path = path or config_file("ceilings.yaml")
        try:
            return cls.model_validate(yaml.safe_load(path.read_text()))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise CeilingsError(f"cannot read ceilings file {path}: {exc}") from None

    def run_cost_usd(self, workflow: str) -> float:
        """The per-run cost ceiling of ``workflow`` (its override, else the default)."""
        override = self.workflows.get(workflow)
        if override is not None and override.run_cost_usd is not None:
            return override.run_cost_usd
        return self.defaults.run_cost_usd

    def run_limits(self, workflow: str) -> RunLimits:
        """The limits a run of ``workflow`` gets when it sets none itself: its override of each,
        else the default (``run_tokens`` and ``run_duration_s`` have none unless configured)."""
        o = self.workflows.get(workflow) or WorkflowOverride()
        d = self.defaults
        return RunLimits(
            budget_usd=o.run_cost_usd if o.run_cost_usd is not None else d.run_cost_usd,
            max_tool_calls=o.run_tool_calls if o.run_tool_calls is not None else d.run_tool_calls,
            max_tokens=o.run_tokens if o.run_tokens is not None else d.run_tokens,
            max_duration_s=(o.run_duration_s if o.run_duration_s is not None else d.run_duration_s),
        )
