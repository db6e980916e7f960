"""Every Kafka client comes from the one Connection, with its security settings: each client
kind is built from settings with SASL_SSL and its configuration checked. No network: nothing
listens at the bootstrap address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import certifi
import pytest
from kafka.errors import KafkaTimeoutError
from kafka.net.compat import KafkaNetClient

from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_config
from jobs.pipeline import kafka_common
from streams.kafka import PASSWORD_ENV, Connection

PASSWORD = "s3cr3t-sasl-password"


@pytest.fixture
def secure(tmp_path: Path) -> AppSettings:
    return AppSettings(
        bootstrap_servers="127.0.0.1:1",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="agent",
        sasl_password=PASSWORD,
        ssl_cafile=Path(certifi.where()),
        var_dir=tmp_path / "var",
    )


def _kafka_python_security(config: dict[str, Any]) -> dict[str, Any]:
    keys = ("security_protocol", "sasl_mechanism", "sasl_plain_username", "sasl_plain_password")
    return {k: config[k] for k in (*keys, "ssl_cafile")}


EXPECTED = {
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "agent",
    "sasl_plain_password": PASSWORD,
    "ssl_cafile": certifi.where(),
}


def test_kafka_python_producer_and_consumer(secure: AppSettings) -> None:
    conn = secure.connection()
    producer = conn.producer(api_version=(3, 9))
    consumer = conn.consumer(api_version=(3, 9))
    try:
        assert _kafka_python_security(producer.config) == EXPECTED
        assert _kafka_python_security(consumer.config) == EXPECTED
    finally:
        producer.close(0)
        consumer.close()


class _RecordingClient(KafkaNetClient):  # type: ignore[misc]
    """kafka-python's own network client (the admin's `kafka_client` option), remembering the
    configuration it was built with."""

    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, **configs: Any) -> None:
        _RecordingClient.seen = configs
        super().__init__(**configs)


def test_kafka_python_admin(secure: AppSettings) -> None:
    with pytest.raises(KafkaTimeoutError):  # no broker: the admin bootstraps at construction
        secure.connection().admin(kafka_client=_RecordingClient, bootstrap_timeout_ms=200)
    assert _kafka_python_security(_RecordingClient.seen) == EXPECTED


def test_librdkafka_options_build_real_clients(secure: AppSettings) -> None:
    conn = secure.connection()
    assert conn.librdkafka() == {
        "bootstrap.servers": "127.0.0.1:1",
        "security.protocol": "sasl_ssl",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "agent",
        "sasl.password": PASSWORD,
        "ssl.ca.location": certifi.where(),
    }
    # librdkafka validates every option (and loads the CA file) when a client is built.
    conn.confluent_producer().flush(0)
    conn.confluent_consumer("g").close()
    conn.confluent_admin()


def test_the_job_gets_the_security_options_and_no_password(secure: AppSettings) -> None:
    cfg = job_config(secure)
    props = kafka_common(cfg)
    assert props["properties.security.protocol"] == "SASL_SSL"
    assert props["properties.sasl.mechanism"] == "SCRAM-SHA-512"
    assert props["properties.ssl.truststore.location"] == certifi.where()
    jaas = props["properties.sasl.jaas.config"]
    assert 'username="agent"' in jaas and f"${{env:{PASSWORD_ENV}}}" in jaas
    assert PASSWORD not in json.dumps(props) and PASSWORD not in cfg.model_dump_json()


def test_java_client_resolves_the_password_from_the_environment(secure: AppSettings) -> None:
    """The Kafka Java client (the job's source and sinks) reads the properties as rendered and
    resolves the password through its EnvVarConfigProvider."""
    props = secure.connection().java_properties()
    script = f"""
import json
from pyflink.java_gateway import get_gateway
jvm = get_gateway().jvm
m = jvm.java.util.HashMap()
for k, v in json.loads({json.dumps(json.dumps(props))}).items():
    m.put(k, v)
for k in ("key.serializer", "value.serializer"):
    m.put(k, "org.apache.kafka.common.serialization.ByteArraySerializer")
cfg = jvm.org.apache.kafka.clients.producer.ProducerConfig(m)
print(json.dumps({{"jaas": cfg.getPassword("sasl.jaas.config").value(),
    "protocol": cfg.getString("security.protocol"),
    "truststore": cfg.getString("ssl.truststore.location")}}))
"""
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["protocol"] == "SASL_SSL" and seen["truststore"] == certifi.where()
    assert f'username="agent" password="{PASSWORD}"' in seen["jaas"]


def test_local_job_writes_no_credential(secure: AppSettings) -> None:
    """`var/jobs/job.json` holds no password (the runner gets it by environment); it is
    readable by its owner only."""
    job = LocalJob(secure)
    cfg = job_config(secure)
    job.dir.mkdir(parents=True)
    job.config_file.write_text(cfg.model_dump_json(indent=2))  # what start() writes
    assert PASSWORD not in job.config_file.read_text()
    loaded = type(cfg).model_validate_json(job.config_file.read_text())
    assert loaded.connection.sasl_password is None
    env_conn = loaded.connection.with_password_from_env({PASSWORD_ENV: PASSWORD})
    assert env_conn.kafka_python()["sasl_plain_password"] == PASSWORD


def test_password_is_never_in_a_repr() -> None:
    conn = Connection(sasl_mechanism="PLAIN", sasl_username="u", sasl_password=PASSWORD)  # type: ignore[arg-type]
    assert PASSWORD not in repr(conn) and PASSWORD not in str(conn)
    assert PASSWORD not in conn.model_dump_json()
