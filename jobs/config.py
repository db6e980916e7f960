"""Job configuration: ceilings.yaml (rules) and the runtime settings of one job run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CEILINGS = PROJECT_ROOT / "config" / "ceilings.yaml"
_NAME = re.compile(r"^[\w.:@/+-]{1,200}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Defaults(_Strict):
    run_cost_usd: float = Field(gt=0)
    run_tool_calls: int = Field(ge=1)
    loop_repeats: int = Field(ge=2)
    customer_hourly_usd: float = Field(gt=0)


class WorkflowOverride(_Strict):
    run_cost_usd: float | None = Field(default=None, gt=0)
    run_tool_calls: int | None = Field(default=None, ge=1)
    loop_repeats: int | None = Field(default=None, ge=2)


class CustomerOverride(_Strict):
    customer_hourly_usd: float = Field(gt=0)


class RetryStorm(_Strict):
    min_retries: int = Field(ge=1)
    baseline_multiplier: float = Field(ge=1)


class RateSpike(_Strict):
    min_calls: int = Field(ge=1)
    z: float = Field(gt=0)
    min_ratio: float = Field(ge=1)
    min_rate: float = Field(default=0.0, ge=0, le=1)


class CostSpike(_Strict):
    min_events: int = Field(ge=1)
    z: float = Field(gt=0)
    min_ratio: float = Field(ge=1)
    min_excess_usd: float = Field(default=0.0, ge=0)


class Windows(_Strict):
    size_minutes: int = Field(ge=1, le=60)
    baseline_windows: int = Field(ge=2, le=288)
    min_baseline_windows: int = Field(ge=1)
    retry_storm: RetryStorm
    error_rate_spike: RateSpike
    latency_p95_spike: RateSpike
    cost_rate_spike: CostSpike


class Ceilings(_Strict):
    version: str = Field(min_length=1)
    defaults: Defaults
    workflows: dict[str, WorkflowOverride] = Field(default_factory=dict)
    customers: dict[str, CustomerOverride] = Field(default_factory=dict)
    windows: Windows

    @field_validator("workflows", "customers")
    @classmethod
    def _names(cls, value: dict[str, object]) -> dict[str, object]:
        bad = [k for k in value if not _NAME.match(k)]
        if bad:
            raise ValueError(f"invalid names {bad}: use letters, digits and . : @ / + - _")
        return value

    @classmethod
    def load(cls, path: Path = DEFAULT_CEILINGS) -> Ceilings:
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read ceilings file {path}: {exc}") from None
        return cls.model_validate(data)


class JobConfig(BaseModel):
    """Everything one run of the job needs. Tests build their own."""

    bootstrap_servers: str = "127.0.0.1:9092"
    kafka_properties: dict[str, str] = Field(default_factory=dict)  # e.g. SASL/TLS
    topic_events: str = "agent-events"
    topic_alerts: str = "agent-alerts"
    topic_dlq: str = "agent-events-dlq"
    group_id: str = "agentgauge-job"
    lake_path: Path = Path("var/lake/events")
    checkpoint_dir: Path = Path("var/checkpoints")
    # On a cluster: URIs (s3://..., hdfs://...) that replace the two local paths above.
    lake_uri: str | None = None
    checkpoint_uri: str | None = None
    checkpoint_interval_s: float = Field(default=5.0, gt=0)
    dedup_ttl_hours: float = Field(default=24.0, gt=0)
    watermark_delay_s: int = Field(default=10, ge=0)
    idle_timeout_s: int = Field(default=30, ge=0, description="0 = no idleness (bounded runs)")
    parallelism: int = Field(default=2, ge=1)
    bounded: bool = False
    bounded_offsets: str | None = None  # "partition:0,offset:42;..." (see streams/offsets.py)
    restore_from: Path | None = None
    # False: ignore saved checkpoints and savepoints (after an upgrade that changed the job's
    # graph, whose old state cannot be mapped onto the new operators).
    resume: bool = True
    replay_filter: str = "TRUE"  # rendered by jobs/replay_guard.py, never from user input
    python_executable: str | None = None
    # The jar of the job's JVM functions (jvm/src). None: the image's prebuilt jar, else built
    # here with javac (jobs/udf.py).
    udf_jar: Path | None = None
    ceilings: Ceilings = Field(default_factory=Ceilings.load)
    redaction_file: Path = PROJECT_ROOT / "streams" / "config" / "redaction.yaml"
