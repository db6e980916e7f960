"""The cluster packaging parses and points at the job code that the tests run locally."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from jobs.config import JobConfig

ROOT = Path(__file__).resolve().parents[1]


def test_flinkdeployment_manifest() -> None:
    doc = yaml.safe_load((ROOT / "infra/k8s/flinkdeployment.yaml").read_text())
    assert doc["apiVersion"] == "flink.apache.org/v1beta1"
    assert doc["kind"] == "FlinkDeployment"
    spec = doc["spec"]
    assert spec["flinkVersion"] == "v2_0"
    assert spec["flinkConfiguration"]["table.local-time-zone"] == "UTC"
    job = spec["job"]
    assert job["entryClass"] == "org.apache.flink.client.python.PythonDriver"
    assert job["jarURI"].endswith("flink-python-2.0.2.jar")
    args = job["args"]
    script = args[args.index("-py") + 1]
    assert script.startswith("/opt/agentgauge/")
    assert (ROOT / script.removeprefix("/opt/agentgauge/")).is_file()
    assert job["upgradeMode"] == "savepoint"
    docker = (ROOT / "infra/k8s/Dockerfile").read_text()
    assert "COPY . /opt/agentgauge" in docker
    # The JVM functions are compiled in a JDK stage from the sources the local job builds.
    assert "COPY jvm/src /src" in docker and (ROOT / "jvm/src").is_dir()
    assert "cp -r /src/META-INF /classes/" in docker  # registers the lake's format
    assert "/opt/agentgauge/build/agentgauge-flink-udf.jar" in docker


def test_flink_run_recipe_and_example_config() -> None:
    script = ROOT / "infra/flink/submit.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "flink run" in text and "jobs/cluster_main.py" in text and "--pyFiles" in text
    assert (ROOT / "jobs/cluster_main.py").is_file()
    example = json.loads((ROOT / "infra/flink/job.example.json").read_text())
    cfg = JobConfig.model_validate(example)
    assert cfg.bootstrap_servers.count(",") == 2 and cfg.parallelism == 6
    assert cfg.lake_uri == "s3://agentgauge-lake/events"
    from jobs.pipeline import lake_options

    assert lake_options(cfg)["path"] == "s3://agentgauge-lake/events"
