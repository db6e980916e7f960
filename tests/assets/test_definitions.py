"""The whole Definitions loads; schedules; sensor; the CLI materializes a simulated drift."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.code_location import defs as code_location
from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from assets.resources import Lake
from dagster_project.definitions import build_definitions, lake_partitions_sensor
from streams.lake import write_lake
from streams.pricing import PriceTable


@pytest.fixture
def defs(tmp_path: Path) -> dg.Definitions:
    return build_definitions(AppSettings(var_dir=tmp_path / "var"))


def test_code_location_loads_the_one_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `dagster dev` loads: the same Definitions, resources from the app's settings."""
    monkeypatch.setenv("AGENTGAUGE_VAR_DIR", str(tmp_path / "v"))
    loaded = code_location()
    assert isinstance(loaded, dg.Definitions)
    lake = loaded.resolve_all_asset_keys()
    assert dg.AssetKey("raw_events") in lake
    resources = loaded.resources or {}
    assert resources["lake"].path == str(tmp_path / "v" / "lake" / "events")
    # Writers work on their own file; readers open the published copy (docs/lake.md).
    assert resources["warehouse"].database == str(
        tmp_path / "v" / "warehouse" / "agentgauge.work.duckdb"
    )
    assert resources["warehouse"].published == str(
        tmp_path / "v" / "warehouse" / "agentgauge.duckdb"
    )


def test_definitions_load(defs: dg.Definitions) -> None:
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys == {
        "raw_events",
        "runs",
        "alerts",
        "scorecard_weekly",
        "scorecard_weekly_rollup",
        "failure_reasons_weekly",
        "drift_weekly",
        "cohort_gate_weekly",
        "alerts_weekly",
        "scorecard_view",
        "weekly_report",
        "weekly_report_delivery",
    }
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {
        "raw_events_contract",
        "scorecard_valid",
        "rollup_valid",
        "rollup_matches_segments",
    } <= checks
    defs.resolve_job_def("daily_ingest")
    monday = defs.resolve_job_def("weekly_scorecard")
    # the Monday job ends with the week's report and its delivery
    assert {"weekly_report", "weekly_report_delivery"} <= {
        k.to_user_string() for k in monday.asset_layer.executable_asset_keys
    }


def test_schedules(defs: dg.Definitions) -> None:
    daily = defs.resolve_schedule_def("daily_ingest_schedule")
    weekly = defs.resolve_schedule_def("weekly_scorecard_schedule")
    assert daily.cron_schedule == "30 0 * * *"
    assert weekly.cron_schedule == "0 6 * * 1"  # Monday 06:00
    assert weekly.execution_timezone == "UTC"
    # Monday 2026-11-16 06:00 UTC targets the ISO week that just ended (starting 2026-11-09).
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 16, 6, tzinfo=UTC))
    (req,) = weekly.evaluate_tick(ctx).run_requests or []
    assert req.partition_key == "2026-11-09"


def test_sensor_notices_new_lake_partitions(tmp_path: Path) -> None:
    lake = Lake(path=str(tmp_path))
    prices = PriceTable.load(AppSettings().prices_file)
    events = simulate(SimConfig(runs=20, start=datetime(2026, 11, 16, tzinfo=UTC), days=2), prices)
    write_lake(events, tmp_path)
    ctx = dg.build_sensor_context(resources={"lake": lake})
    first = lake_partitions_sensor(ctx)
    assert isinstance(first, dg.SensorResult)
    assert sorted(r.partition_key for r in first.run_requests or []) == lake.partitions()
    again = lake_partitions_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"lake": lake})
    )
    assert isinstance(again, dg.SensorResult) and not again.run_requests
    write_lake(events[:3], tmp_path)  # new files land in a known day
    third = lake_partitions_sensor(
        dg.build_sensor_context(cursor=again.cursor, resources={"lake": lake})
    )
    assert isinstance(third, dg.SensorResult) and len(third.run_requests or []) == 1


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTGAUGE_DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("AGENTGAUGE_LAKE_PATH", str(tmp_path / "lake"))
    monkeypatch.setenv("AGENTGAUGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("AGENTGAUGE_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # no broker: alerts skipped
    return tmp_path


def test_cli_materialize_flags_injected_drift(cli_env: Path) -> None:
    prices = PriceTable.load(AppSettings().prices_file)
    cfg = SimConfig(
        runs=3000,
        seed=5,
        start=datetime(2026, 11, 2, tzinfo=UTC),
        days=14,
        incidents=("success_drift",),
    )
    write_lake(simulate(cfg, prices), cli_env / "lake")
    runner = CliRunner()
    r = runner.invoke(app, ["materialize", "--all"])
    assert r.exit_code == 0, r.output
    out = runner.invoke(
        app, ["scorecard", "--week", "2026-W46", "--segment", "smb", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    rows = [x for x in json.loads(out.output) if x["workflow"] != "ALL"]
    assert len(rows) == 6
    flagged = [x for x in rows if x["drift_flag"]]
    assert len(flagged) >= 5, rows
    assert all(x["d_success_rate"] < -0.05 for x in flagged if x["d_success_rate"] is not None)
    csv_out = runner.invoke(app, ["scorecard", "--week", "2026-W46", "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("week_start,workflow,segment,runs")
    table = runner.invoke(app, ["scorecard"], env={"COLUMNS": "220"})
    assert table.exit_code == 0, table.output
    assert "ISO week starting 2026-11-09" in table.output and "DRIFT" in table.output
    assert "%" in table.output and ("↓" in table.output or "↑" in table.output)
    bad = runner.invoke(app, ["scorecard", "--week", "2026-46"])
    assert bad.exit_code == 2 and "invalid ISO week" in bad.output
    both = runner.invoke(app, ["materialize"])
    assert both.exit_code == 2
