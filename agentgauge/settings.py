"""The application's settings: the SDK's (streams.Settings) plus the paths under ``var_dir``,
the alert router's and the embedded broker's. Every path that lives under ``var_dir`` is
derived from it here, and only here, unless set on its own (``AGENTGAUGE_LAKE_PATH``, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator

from assets.snapshot import work_path
from streams.packaged import packaged_path
from streams.settings import Settings

_VAR = Path("var")
# Paths under var_dir, derived from it unless set on their own.
_DERIVED = {
    "duckdb_path": Path("warehouse/agentgauge.duckdb"),
    "lake_path": Path("lake/events"),
    "checkpoint_dir": Path("checkpoints"),
    "reports_dir": Path("reports"),
    "alerts_dir": Path("alerts"),
    "cluster_dir": Path("flink-cluster"),
}


class AppSettings(Settings):
    broker_port: int = Field(default=9092, ge=1, le=65535)
    var_dir: Path = _VAR
    duckdb_path: Path = _VAR / _DERIVED["duckdb_path"]
    lake_path: Path = _VAR / _DERIVED["lake_path"]
    checkpoint_dir: Path = _VAR / _DERIVED["checkpoint_dir"]
    reports_dir: Path = _VAR / _DERIVED["reports_dir"]
    alerts_dir: Path = _VAR / _DERIVED["alerts_dir"]
    # `agentgauge cluster up`'s standalone Flink cluster (its conf, logs, pids); `jobs start
    # --cluster` runs the job there, or on the session cluster whose REST address is
    # flink_cluster (host:port) when that is set.
    cluster_dir: Path = _VAR / _DERIVED["cluster_dir"]
    flink_cluster: str | None = None
    # None: the packaged default (streams/config/ceilings.yaml).
    ceilings_file: Path | None = None
    gates_file: Path | None = None  # release gates (docs/gates.md); None: the packaged file
    gate_secret: SecretStr | None = None  # signs `gate --on-fail-webhook` rollback requests
    alerting_file: Path = Field(
        default_factory=lambda: packaged_path("alerting", "config", "alerting.yaml")
    )
    router_group: str = "agentgauge-alert-router"
    # OTLP ingest (docs/otlp.md): the identity of spans that name no customer (None: rejected),
    # the segment of spans that name none, how long a child span waits for its trace to name
    # the customer, and the receiver's body limit.
    otlp_default_customer: str | None = None
    otlp_default_segment: str = Field(default="default", min_length=1)
    otlp_hold_s: float = Field(default=30.0, ge=0)
    otlp_max_body_bytes: int = Field(default=8 * 2**20, ge=1024)
    otlp_bridge_group: str = "agentgauge-otlp-bridge"

    @property
    def duckdb_work_path(self) -> Path:
        """The writers' file; readers open ``duckdb_path``, its published copy (docs/lake.md)."""
        return work_path(self.duckdb_path)

    @model_validator(mode="before")
    @classmethod
    def _derive_paths(cls, data: Any) -> Any:
        if isinstance(data, dict):
            var = Path(data.get("var_dir") or _VAR)
            for name, rel in _DERIVED.items():
                if data.get(name) is None:
                    data[name] = var / rel
        return data


def load_settings(**overrides: Any) -> AppSettings:
    return AppSettings(**overrides)
