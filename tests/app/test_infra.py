"""The cluster packaging parses and points at the job code that the tests run locally."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from jobs.config import JOB_JVM_OPTIONS, JobConfig
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
    # A budget no slot has fails in our validation, naming the field, not at the job's start.
    with pytest.raises(ValidationError, match="rocksdb_memory_per_slot_mb"):
        JobConfig.model_validate({**example, "rocksdb_memory_per_slot_mb": 10**9})
    from jobs.pipeline import kafka_common, lake_options

    assert lake_options(cfg)["path"] == "s3://agentgauge-lake/events"
    props = kafka_common(cfg)
    assert props["properties.sasl.mechanism"] == "SCRAM-SHA-512"
    assert "${env:AGENTGAUGE_SASL_PASSWORD}" in props["properties.sasl.jaas.config"]


def test_every_cluster_path_runs_the_same_entry_point_and_keys(tmp_path: Path) -> None:
    """submit.sh, the FlinkDeployment and `jobs start --cluster` (flink_run_command, what the
    cluster tests run) name one entry point and pass the job config the same way; the
    manifest's Flink keys are the job's own (set by jobs.pipeline.configure, which wins over a
    cluster's) or cluster-level ones the standalone cluster sets as well."""
    from pyflink.table import EnvironmentSettings, TableEnvironment

    from jobs.cluster_main import ENTRY_MODULE, flink_run_command
    from jobs.pipeline import configure
    from jobs.standalone import ClusterState, StandaloneCluster

    command = flink_run_command(tmp_path / "job.json", "localhost:8081", "python3.11")
    assert command[command.index("--pyModule") + 1] == ENTRY_MODULE
    assert command[command.index("--config") + 1] == str(tmp_path / "job.json")
    script = (REPO / "infra/flink/submit.sh").read_text()
    assert f"--pyModule {ENTRY_MODULE}" in script and '--config "$CONFIG"' in script
    assert all(flag in script for flag in ("flink run", "--detached", "--pyExecutable"))
    assert all(flag in command for flag in ("run", "--detached", "--pyExecutable"))
    doc = yaml.safe_load((REPO / "infra/k8s/flinkdeployment.yaml").read_text())
    args = doc["spec"]["job"]["args"]
    assert args[args.index("-pym") + 1] == ENTRY_MODULE and "--config" in args

    example = JobConfig.model_validate(
        json.loads((REPO / "infra/flink/job.example.json").read_text())
    )
    assert doc["spec"]["job"]["parallelism"] == example.parallelism
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure(t_env, example)
    job_keys = set(t_env.get_config().get_configuration().to_dict())
    standalone = StandaloneCluster(tmp_path / "cluster")
    standalone._write_conf(ClusterState("localhost:8081", 2, 2, "1536m"), 6123)
    cluster_keys = set(yaml.safe_load((standalone.conf_dir / "config.yaml").read_text()))
    cluster_level = {"high-availability.type", "high-availability.storageDir"}
    manifest_keys = set(doc["spec"]["flinkConfiguration"])
    assert manifest_keys - cluster_level <= job_keys | cluster_keys, (
        manifest_keys - cluster_level - job_keys - cluster_keys
    )
    # The job sets these itself, wherever it runs: the manifest may repeat them, never diverge.
    job_conf = t_env.get_config().get_configuration().to_dict()
    flink_conf = doc["spec"]["flinkConfiguration"]
    for key in (
        "table.local-time-zone",
        "execution.checkpointing.dir",
        "execution.checkpointing.savepoint-dir",
        "execution.checkpointing.externalized-checkpoint-retention",
        "state.backend.type",
    ):
        assert flink_conf[key] == job_conf[key], key
    # The TaskManagers' JVM options: the same as the local job's, on both clusters.
    cluster_conf = yaml.safe_load((standalone.conf_dir / "config.yaml").read_text())
    key = "env.java.opts.taskmanager"
    assert flink_conf[key] == cluster_conf[key] == " ".join(JOB_JVM_OPTIONS)
