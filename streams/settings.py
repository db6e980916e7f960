"""SDK settings: environment variables (AGENTGAUGE_*) over ``agentgauge.toml`` over defaults.

Only what an emitting agent needs: the Kafka connection, the topics, the queue and the files
of the price table and redaction rules. The application's settings (paths under ``var/``,
the router, the embedded broker) extend these in ``agentgauge.settings``.
Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from streams.kafka import Connection, SaslMechanism, SecurityProtocol
from streams.packaged import config_file
from streams.redaction import DEFAULT_PSEUDONYM_KEY


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AGENTGAUGE_", toml_file="agentgauge.toml", extra="ignore"
    )

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    client_id: str = "agentgauge"

    topic_events: str = "agent-events"
    topic_alerts: str = "agent-alerts"
    topic_dlq: str = "agent-events-dlq"
    topic_controls: str = "agent-controls"
    events_partitions: int = Field(default=6, ge=1)

    transport: Literal["kafka-python", "confluent"] = "kafka-python"
    queue_size: int = Field(default=100_000, ge=1, description="SDK in-memory queue bound")
    emit_block_ms: float = Field(
        default=0.0, ge=0, description="How long emit() may wait for queue space; 0 = never"
    )
    validate_events: bool = True
    redaction_file: Path = Field(default_factory=lambda: config_file("redaction.yaml"))
    # The key of the pseudonyms that replace email-like identifiers (customer_id, ...); the job
    # must use the same (AGENTGAUGE_PSEUDONYM_KEY in its environment). A secret: never logged.
    pseudonym_key: SecretStr = SecretStr(DEFAULT_PSEUDONYM_KEY)
    prices_file: Path = Field(default_factory=lambda: config_file("prices.yaml"))
    # A run's own budget (docs/breaker.md): "halt" stops the run on the call that crosses a
    # limit (streams.BudgetExceeded); "alert" never stops it here (the job still alerts).
    breaker: Literal["halt", "alert"] = "halt"
    # Workflow defaults for runs that set no limits themselves: a ceilings.yaml (the job's file,
    # or another). None: only the limits a run sets.
    ceilings_file: Path | None = None
    # Breakers (docs/breaker.md): follow topic_controls on a background thread and refuse runs
    # (streams.BreakerOpen) that an open breaker covers.
    controls: bool = True
    # When the breaker state is older than controls_max_staleness_s (the control topic is
    # unreachable): "open" lets new runs start, "closed" refuses them.
    controls_fail: Literal["open", "closed"] = "open"
    controls_max_staleness_s: float = Field(default=30.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def connection(self) -> Connection:
        """The Kafka connection every client of this process is built from."""
        return Connection(
            bootstrap_servers=self.bootstrap_servers,
            security_protocol=self.security_protocol,
            sasl_mechanism=self.sasl_mechanism,
            sasl_username=self.sasl_username,
            sasl_password=self.sasl_password,
            ssl_cafile=self.ssl_cafile,
            client_id=self.client_id,
        )


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
