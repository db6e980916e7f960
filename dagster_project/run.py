"""In-process materialization for the CLI: ``agentgauge materialize [--week W | --all]``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import dagster as dg

from assets import _db as q
from assets.partitions import iso_week_start
from dagster_project.definitions import ALL_ASSETS, WEEKLY
from dagster_project.resources import PipelineSettings, build_resources
from streams import lake as lake_layout


@dataclass
class MaterializeReport:
    steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    weeks: list[str] = field(default_factory=list)
    ok: bool = True


def _instance(settings: PipelineSettings) -> dg.DagsterInstance:
    """The Dagster instance `./dev dagster` shows (DAGSTER_HOME, else var/dagster), so runs and
    check results from the CLI appear in the UI."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = (settings.var_dir / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(str(home))


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def _run(
    selection: list[str] | dg.AssetSelection,
    settings: PipelineSettings,
    outcome: MaterializeReport,
    name: str,
    tags: dict[str, str] | None = None,
) -> None:
    result = dg.materialize(
        ALL_ASSETS,
        instance=_instance(settings),
        selection=selection,
        resources=build_resources(settings),
        tags=tags or {},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            outcome.failed_checks.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
    outcome.steps.append(name)
    if not result.success or outcome.failed_checks:
        outcome.ok = False


def materialize(
    settings: PipelineSettings, week: str | None, progress: Callable[[str], None] = lambda _: None
) -> MaterializeReport:
    """Load every lake day, rebuild runs and alerts, then the scorecards of one or all weeks."""
    outcome = MaterializeReport()
    days = lake_layout.partitions(settings.lake_path)
    if not days:
        outcome.ok = False
        outcome.steps.append(f"no lake partitions under {settings.lake_path}")
        return outcome
    progress(f"raw_events: {len(days)} days ({days[0]} .. {days[-1]})")
    _run(["raw_events"], settings, outcome, "raw_events", _range_tags(days[0], days[-1]))
    if not outcome.ok:
        return outcome
    progress("runs and alerts")
    _run(["runs", "alerts"], settings, outcome, "runs+alerts")
    if not outcome.ok:
        return outcome
    if week:
        start = iso_week_start(week)
        weeks = [(date.fromisoformat(start) - timedelta(days=7)).isoformat(), start]
    else:
        with q.connect_utc(str(settings.duckdb_path), read_only=True) as conn:
            rows = q.run(conn, "runs_weeks").fetchall()
        weeks = [r[0].isoformat() for r in rows]
    if not weeks:
        return outcome
    outcome.weeks = weeks
    progress(f"weekly scorecards: {len(weeks)} weeks ({weeks[0]} .. {weeks[-1]})")
    _run(WEEKLY, settings, outcome, "scorecards", _range_tags(weeks[0], weeks[-1]))
    if outcome.ok:
        _run(["scorecard_view"], settings, outcome, "scorecard view")
    return outcome
