"""The cluster packaging parses and points at the job code that the tests run locally."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import yaml

from jobs.config import JobConfig
from tests.support import REPO


def test_flinkdeployment_manifest() -> None:
    doc = yaml.safe_load((REPO / "infra/k8s/flinkdeployment.yaml").read_text())
    assert doc["apiVersion"] == "flink.apache.org/v1beta1"
    assert doc["kind"] == "FlinkDeployment"
    spec = doc["spec"]
    assert spec["flinkVersion"] == "v2_0"
    assert spec["flinkConfiguration"]["table.local-time-zone"] == "UTC"
    job = spec["job"]
    assert job["entryClass"] == "org.apache.flink.client.python.PythonDriver"
    assert job["jarURI"].endswith("flink-python-2.0.2.jar")
    args = job["args"]
    module = args[args.index("-pym") + 1]
    assert module == "jobs.cluster_main" and importlib.util.find_spec(module) is not None
    assert job["upgradeMode"] == "savepoint"
    env = spec["podTemplate"]["spec"]["containers"][0]["env"]
    # Secrets reach the job by environment, never through job.json.
    assert [e["name"] for e in env] == ["AGENTGAUGE_SASL_PASSWORD", "AGENTGAUGE_PSEUDONYM_KEY"]
    assert all("secretKeyRef" in e["valueFrom"] for e in env)
    docker = (REPO / "infra/k8s/Dockerfile").read_text()
    # Installed as a package (resources through importlib.resources), with the pipeline extra.
    assert 'pip install --no-cache-dir "/tmp/agentgauge-src[pipeline]"' in docker
    # The JVM functions are compiled in a JDK stage from the sources the local job builds.
    assert "COPY jobs/jvm /src" in docker and (REPO / "jobs/jvm").is_dir()
    assert "cp -r /src/META-INF /classes/" in docker  # registers the lake's format
    assert "/opt/agentgauge/agentgauge-flink-udf.jar" in docker


def test_flink_run_recipe_and_example_config() -> None:
    script = REPO / "infra/flink/submit.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "flink run" in text and "--pyModule jobs.cluster_main" in text
    example = json.loads((REPO / "infra/flink/job.example.json").read_text())
    cfg = JobConfig.model_validate(example)
    assert cfg.connection.bootstrap_servers.count(",") == 2 and cfg.parallelism == 6
    assert cfg.connection.security_protocol == "SASL_SSL"
    assert cfg.lake_uri == "s3://agentgauge-lake/events"
    assert str(cfg.udf_jar) in (REPO / "infra/k8s/Dockerfile").read_text()
    from jobs.pipeline import kafka_common, lake_options

    assert lake_options(cfg)["path"] == "s3://agentgauge-lake/events"
    props = kafka_common(cfg)
    assert props["properties.sasl.mechanism"] == "SCRAM-SHA-512"
    assert "${env:AGENTGAUGE_SASL_PASSWORD}" in props["properties.sasl.jaas.config"]
