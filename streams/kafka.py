"""One Kafka connection object; every Kafka client in agentgauge comes from it.

As quix-streams' ``ConnectionConfig``: the bootstrap servers and the security settings, with
the password a ``SecretStr``, rendered for each client library (kafka-python, librdkafka and the
Java client of the Flink job) in one place. Clients are built on demand by the factories below.

The password is never serialised (``exclude=True``): a :class:`Connection` written to a file
(the job's configuration) carries no credential. The Java client reads it from the environment
variable :data:`PASSWORD_ENV` through Kafka's ``EnvVarConfigProvider``; Python processes that
load a connection from such a file call :meth:`Connection.with_password_from_env`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from streams.errors import KafkaUnavailable, TopicMissing

if TYPE_CHECKING:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.consumer.fetcher import ConsumerRecord

PASSWORD_ENV = "AGENTGAUGE_SASL_PASSWORD"
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
_JAAS_MODULE = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


class Connection(BaseModel):
    """Where Kafka is and how to authenticate to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = Field(default=None, exclude=True)
    ssl_cafile: Path | None = None
    client_id: str = "agentgauge"

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def with_password_from_env(self, env: dict[str, str] | None = None) -> Connection:
        """This connection with the password from :data:`PASSWORD_ENV`, if that is set."""
        value = (os.environ if env is None else env).get(PASSWORD_ENV)
        if not value:
            return self
        return self.model_copy(update={"sasl_password": SecretStr(value)})

    # -- the three dialects ------------------------------------------------------------------
    def kafka_python(self) -> dict[str, Any]:
        """kafka-python options (the secret is unwrapped only here and in librdkafka())."""
        opts: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                opts["sasl_plain_password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile:
            opts["ssl_cafile"] = str(self.ssl_cafile)
        return opts

    def librdkafka(self) -> dict[str, Any]:
        """confluent-kafka (librdkafka) options."""
        opts: dict[str, Any] = {
            "bootstrap.servers": ",".join(self.servers),
            "security.protocol": self.security_protocol.lower(),
        }
        if self.sasl_mechanism:
            opts["sasl.mechanism"] = self.sasl_mechanism
            opts["sasl.username"] = self.sasl_username
            if self.sasl_password is not None:
                opts["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile:
            opts["ssl.ca.location"] = str(self.ssl_cafile)
        return opts

    def java_properties(self) -> dict[str, str]:
        """Java client properties (the Flink job's Kafka source and sinks). The password is not
        in them: ``${env:AGENTGAUGE_SASL_PASSWORD}`` is resolved by the client in the process
        that connects, so the job's configuration files hold no credential."""
        props = {
            "bootstrap.servers": ",".join(self.servers),
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            props["sasl.mechanism"] = self.sasl_mechanism
            props["sasl.jaas.config"] = (
                f'{_JAAS_MODULE[self.sasl_mechanism]} required username="{self.sasl_username}"'
                f' password="${{env:{PASSWORD_ENV}}}";'
            )
            props["config.providers"] = "env"
            props["config.providers.env.class"] = (
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
            )
        if self.ssl_cafile:
            props["ssl.truststore.type"] = "PEM"
            props["ssl.truststore.location"] = str(self.ssl_cafile)
        return props

    # -- kafka-python clients ----------------------------------------------------------------
    def producer(self, **overrides: Any) -> KafkaProducer:
        from kafka import KafkaProducer

        return KafkaProducer(**{"client_id": self.client_id, **self.kafka_python(), **overrides})

    def consumer(self, **overrides: Any) -> KafkaConsumer:
        from kafka import KafkaConsumer

        opts = {"client_id": self.client_id, "enable_auto_commit": False}
        return KafkaConsumer(**{**opts, **self.kafka_python(), **overrides})

    def admin(self, **overrides: Any) -> KafkaAdminClient:
        from kafka import KafkaAdminClient

        opts = {"client_id": f"{self.client_id}-admin", **self.kafka_python(), **overrides}
        return KafkaAdminClient(**opts)

    # -- confluent-kafka clients (the `volume` extra) ----------------------------------------
    def confluent_producer(self, **overrides: Any) -> Any:
        from confluent_kafka import Producer

        return Producer({"client.id": self.client_id, **self.librdkafka(), **overrides})

    def confluent_consumer(self, group_id: str, **overrides: Any) -> Any:
        from confluent_kafka import Consumer

        opts = {"client.id": self.client_id, "group.id": group_id, "enable.auto.commit": False}
        return Consumer({**opts, **self.librdkafka(), **overrides})

    def confluent_admin(self, **overrides: Any) -> Any:
        from confluent_kafka.admin import AdminClient

        return AdminClient(
            {"client.id": f"{self.client_id}-admin", **self.librdkafka(), **overrides}
        )

    # -- helpers -----------------------------------------------------------------------------
    def reachable(self, timeout_s: float = 0.5) -> bool:
        """Whether any bootstrap server accepts a TCP connection (fail fast: kafka-python
        retries its bootstrap for a long time)."""
        for server in self.servers:
            host, _, port = server.rpartition(":")
            with (
                contextlib.suppress(OSError, ValueError),
                socket.create_connection((host, int(port)), timeout=timeout_s),
            ):
                return True
        return False

    def read_all(self, topic: str, idle_ms: int = 1000) -> list[ConsumerRecord]:
        """Every record of ``topic`` from the beginning, until it stays quiet for ``idle_ms``
        (reported end offsets are not used: the embedded broker under-reports them, see
        streams/offsets.py). Raises :class:`KafkaUnavailable` or :class:`TopicMissing`."""
        from kafka import TopicPartition
        from kafka.errors import KafkaError

        if not self.reachable():
            raise KafkaUnavailable(f"no Kafka broker answers at {self.bootstrap_servers}")
        try:
            consumer = self.consumer()
        except KafkaError as exc:
            raise KafkaUnavailable(
                f"cannot reach Kafka at {self.bootstrap_servers}: {exc}"
            ) from None
        try:
            parts = consumer.partitions_for_topic(topic)
            if not parts:
                raise TopicMissing(f"no topic {topic}: run `agentgauge topics create` first")
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            out: list[ConsumerRecord] = []
            while batch := consumer.poll(timeout_ms=idle_ms):
                for records in batch.values():
                    out += records
            return out
        finally:
            with contextlib.suppress(Exception):
                consumer.close()
