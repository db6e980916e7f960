"""The one place where the code location's resources are built from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from assets.report.asset import Reports
from assets.resources import AlertsSource, GatesFile, Lake, Warehouse
from dagster_project.report_delivery import ReportDestinations
from streams.kafka import Connection


class PipelineSettings(Protocol):
    """What the assets need of the application's settings (``agentgauge.settings``)."""

    @property
    def duckdb_path(self) -> Path: ...
    @property
    def duckdb_work_path(self) -> Path: ...
    @property
    def lake_path(self) -> Path: ...
    @property
    def topic_alerts(self) -> str: ...
    @property
    def var_dir(self) -> Path: ...
    @property
    def gates_file(self) -> Path | None: ...
    @property
    def reports_dir(self) -> Path: ...
    @property
    def alerts_dir(self) -> Path: ...
    @property
    def alerting_file(self) -> Path: ...
    def connection(self) -> Connection: ...


def build_resources(settings: PipelineSettings, publish: bool = True) -> dict[str, Any]:
    """``publish``: each run publishes the warehouse for readers when it ends (False: the caller
    publishes, as ``agentgauge materialize`` does once at its end)."""
    return {
        "warehouse": Warehouse(
            database=str(settings.duckdb_work_path),
            published=str(settings.duckdb_path) if publish else "",
        ),
        "lake": Lake(path=str(settings.lake_path)),
        "alerts_source": AlertsSource(settings.connection(), settings.topic_alerts),
        "gates": GatesFile(path=str(settings.gates_file) if settings.gates_file else ""),
        "reports": Reports(path=str(settings.reports_dir)),
        "report_destinations": ReportDestinations(
            alerting_file=str(settings.alerting_file), alerts_dir=str(settings.alerts_dir)
        ),
    }
