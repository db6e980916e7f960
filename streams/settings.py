"""Runtime settings: environment variables (AGENTGAUGE_*) over ``agentgauge.toml`` over defaults.

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

CONFIG_DIR = Path(__file__).parent / "config"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AGENTGAUGE_", toml_file="agentgauge.toml", extra="ignore"
    )

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None

    topic_events: str = "agent-events"
    topic_alerts: str = "agent-alerts"
    topic_dlq: str = "agent-events-dlq"
    events_partitions: int = Field(default=6, ge=1)
    client_id: str = "agentgauge"

    transport: Literal["kafka-python", "confluent"] = "kafka-python"
    queue_size: int = Field(default=100_000, ge=1, description="SDK in-memory queue bound")
    emit_block_ms: float = Field(
        default=0.0, ge=0, description="How long emit() may wait for queue space; 0 = never"
    )
    validate_events: bool = True

    broker_port: int = Field(default=9092, ge=1, le=65535)
    var_dir: Path = Path("var")
    duckdb_path: Path = Path("var/warehouse/agentgauge.duckdb")
    lake_path: Path = Path("var/lake/events")
    redaction_file: Path = CONFIG_DIR / "redaction.yaml"
    prices_file: Path = CONFIG_DIR / "prices.yaml"
    alerting_file: Path = CONFIG_DIR.parents[1] / "config" / "alerting.yaml"
    router_group: str = "agentgauge-alert-router"

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

    def kafka_security(self) -> dict[str, Any]:
        """kafka-python style security options (secrets unwrapped only here)."""
        opts: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                opts["sasl_plain_password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile:
            opts["ssl_cafile"] = str(self.ssl_cafile)
        return opts

    def confluent_security(self) -> dict[str, Any]:
        """librdkafka style security options."""
        opts: dict[str, Any] = {"security.protocol": self.security_protocol.lower()}
        if self.sasl_mechanism:
            opts["sasl.mechanism"] = self.sasl_mechanism
            opts["sasl.username"] = self.sasl_username
            if self.sasl_password is not None:
                opts["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile:
            opts["ssl.ca.location"] = str(self.ssl_cafile)
        return opts


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
