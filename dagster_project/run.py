"""In-process materialization for the CLI: ``agentgauge materialize [--week W | --all]``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import dagster as dg

from assets import _db as q
from assets import snapshot
from assets.partitions import iso_week_start
from assets.resources import Lake, day_signature
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
    ops: dict[str, object] | None = None,
) -> None:
    result = dg.materialize(
        ALL_ASSETS,
        instance=_instance(settings),
        selection=selection,
        resources=build_resources(settings, publish=False),
        tags=tags or {},
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            **({"ops": ops} if ops else {}),
        },
    )
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            outcome.failed_checks.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
    outcome.steps.append(name)
    if not result.success or outcome.failed_checks:
        outcome.ok = False


def _spans_of(days: list[str]) -> list[tuple[str, str]]:
    """Sorted days as runs of consecutive days: a partition range each."""
    spans: list[tuple[str, str]] = []
    for day in days:
        if spans and date.fromisoformat(day) - date.fromisoformat(spans[-1][1]) == timedelta(1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def _spans(days: list[str]) -> str:
    return ", ".join(a if a == b else f"{a} .. {b}" for a, b in _spans_of(days)) or "-"


def _loaded_signatures(settings: PipelineSettings) -> dict[str, str]:
    """Each loaded day's lake signature (none loaded yet: {})."""
    snapshot.ensure_work(settings.duckdb_work_path, settings.duckdb_path)
    if not settings.duckdb_work_path.exists():
        return {}
    with snapshot.connect_writer(settings.duckdb_work_path) as conn:
        tables = {r[0] for r in conn.execute("SHOW TABLES").fetchall()}
        if "events_days" not in tables:
            return {}
        return dict(q.run(conn, "events_days_signatures").fetchall())


def _weeks_to_build(settings: PipelineSettings) -> list[str]:
    """The weeks with finished runs from the earliest stale one on (docs/lake.md)."""
    with snapshot.connect_writer(settings.duckdb_work_path) as conn:
        (first,) = q.run(conn, "stale_from").fetchone() or (None,)
        if first is None:
            return []
        tables = {r[0] for r in conn.execute("SHOW TABLES").fetchall()}
        name = "built_weeks" if "scorecard_weekly" in tables else "runs_weeks"
        rows = q.run(conn, name).fetchall()
    return [r[0].isoformat() for r in rows if r[0] >= first]


def materialize(
    settings: PipelineSettings, week: str | None, progress: Callable[[str], None] = lambda _: None
) -> MaterializeReport:
    """:func:`build`, then the warehouse is published for readers if every step passed (else
    readers keep the last good state)."""
    outcome = build(settings, week, progress)
    if outcome.ok:
        progress("publishing for readers")
        snapshot.publish(settings.duckdb_work_path, settings.duckdb_path)
    return outcome


def build(
    settings: PipelineSettings, week: str | None, progress: Callable[[str], None] = lambda _: None
) -> MaterializeReport:
    """Load the lake days that are new or grew since they were loaded, bring runs and alerts up
    to date, then build the scorecards of one week (and the one before it, for drift) or of
    every week the changes reach."""
    outcome = MaterializeReport()
    days = lake_layout.partitions(settings.lake_path)
    if not days:
        outcome.ok = False
        outcome.steps.append(f"no lake partitions under {settings.lake_path}")
        return outcome
    loaded = _loaded_signatures(settings)
    lake = Lake(path=str(settings.lake_path))
    changed = [d for d in days if loaded.get(d) != day_signature(d, lake.landed(d))]
    gone = sorted(set(loaded) - set(days))  # deleted from the lake (retention)
    if changed or gone:
        what = f"{len(changed)} of {len(days)} days"
        progress(f"raw_events: {what}{f', {len(gone)} gone' if gone else ''} ({_spans(changed)})")
        for first, last in _spans_of(sorted({*changed, *gone})):
            _run(["raw_events"], settings, outcome, "raw_events", _range_tags(first, last))
            if not outcome.ok:
                return outcome
    else:
        progress(f"raw_events: all {len(days)} days already loaded")
    progress("runs and alerts")
    _run(["runs", "alerts"], settings, outcome, "runs+alerts")
    if not outcome.ok:
        return outcome
    if week:
        start = iso_week_start(week)
        weeks = [(date.fromisoformat(start) - timedelta(days=7)).isoformat(), start]
    else:
        weeks = _weeks_to_build(settings)
    if not weeks:  # the view over them is already in place (or no run has finished yet)
        progress("weekly scorecards: every week is current")
        return outcome
    outcome.weeks = weeks
    progress(f"weekly scorecards: {len(weeks)} weeks ({weeks[0]} .. {weeks[-1]})")
    _run(WEEKLY, settings, outcome, "scorecards", _range_tags(weeks[0], weeks[-1]))
    if outcome.ok:
        view = {"config": {"built_from_week": "" if week else weeks[0]}}
        _run(["scorecard_view"], settings, outcome, "scorecard view", ops={"scorecard_view": view})
    return outcome
