"""The one place where the code location's resources are built from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from assets.resources import AlertsSource, Lake, Warehouse
from streams.kafka import Connection


class PipelineSettings(Protocol):
    """What the assets need of the application's settings (``agentgauge.settings``)."""

    @property
    def duckdb_path(self) -> Path: ...
    @property
    def lake_path(self) -> Path: ...
    @property
    def topic_alerts(self) -> str: ...
    @property
    def var_dir(self) -> Path: ...
    def connection(self) -> Connection: ...


def build_resources(settings: PipelineSettings) -> dict[str, Any]:
    return {
        "warehouse": Warehouse(database=str(settings.duckdb_path)),
        "lake": Lake(path=str(settings.lake_path)),
        "alerts_source": AlertsSource(settings.connection(), settings.topic_alerts),
    }
