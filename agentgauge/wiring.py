"""The application's settings turned into each room's inputs: the job's configuration, the
ceilings, the alert router's arguments. (The code location's resources are built from the same
settings in dagster_project/resources.py.)"""

from __future__ import annotations

import sys
from typing import Any

from agentgauge.settings import AppSettings
from jobs.config import JobConfig
from streams.ceilings import Ceilings
from streams.kafka import PASSWORD_ENV
from streams.redaction import PSEUDONYM_KEY_ENV


def job_environment(settings: AppSettings) -> dict[str, str]:
    """The secrets the job's processes read from their environment, never from a file: the
    Kafka password and the pseudonym key."""
    env = {PSEUDONYM_KEY_ENV: settings.pseudonym_key.get_secret_value()}
    if settings.sasl_password is not None:
        env[PASSWORD_ENV] = settings.sasl_password.get_secret_value()
    return env


def ceilings(settings: AppSettings) -> Ceilings:
    return Ceilings.load(settings.ceilings_file)


def job_config(settings: AppSettings, **overrides: Any) -> JobConfig:
    """The job's configuration from the application's settings (one place for both)."""
    values: dict[str, Any] = {
        "connection": settings.connection(),
        "topic_events": settings.topic_events,
        "topic_alerts": settings.topic_alerts,
        "topic_dlq": settings.topic_dlq,
        "topic_controls": settings.topic_controls,
        "lake_path": settings.lake_path.resolve(),
        "checkpoint_dir": settings.checkpoint_dir.resolve(),
        "python_executable": sys.executable,
        "ceilings": ceilings(settings),
        "redaction_file": settings.redaction_file,
    }
    values.update(overrides)
    return JobConfig(**values)
