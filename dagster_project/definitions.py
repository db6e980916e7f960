"""The one Definitions of agentgauge: assets, checks, jobs, schedules, sensor and resources.

:func:`build_definitions` takes the settings its resources are built from
(``dagster_project.resources``); ``agentgauge.code_location`` is the module ``dagster dev``
loads, which reads the application's settings when Dagster loads the definitions.
"""

import json

import dagster as dg

from assets import alerts as alerts_assets
from assets import raw_events as raw_assets
from assets import scorecards as scorecard_assets
from assets.partitions import daily, weekly
from assets.report import asset as report_asset
from assets.resources import Lake
from dagster_project import report_delivery
from dagster_project.resources import PipelineSettings, build_resources

ALL_ASSETS = dg.load_assets_from_modules(
    [raw_assets, scorecard_assets, alerts_assets, report_asset, report_delivery]
)
# The weekly scorecard tables: every weekly-partitioned asset (the `scorecards` group but the
# unpartitioned view on top of them).
WEEKLY = dg.AssetSelection.groups("scorecards") - dg.AssetSelection.assets("scorecard_view")

daily_ingest = dg.define_asset_job(
    "daily_ingest", selection=dg.AssetSelection.assets("raw_events"), partitions_def=daily
)
# The Monday job: the week's tables, then its report, then the report's delivery
# (`agentgauge materialize` runs WEEKLY alone: a backfill sends nothing).
weekly_scorecard = dg.define_asset_job(
    "weekly_scorecard",
    selection=WEEKLY | dg.AssetSelection.groups("report"),
    partitions_def=weekly,
)
refresh_runs = dg.define_asset_job(
    "refresh_runs_alerts_view",
    selection=dg.AssetSelection.assets("runs", "alerts", "scorecard_view"),
)

# 00:30 UTC every day: the day that just ended. Monday 06:00 UTC: the ISO week that just ended.
daily_ingest_schedule = dg.build_schedule_from_partitioned_job(
    daily_ingest, hour_of_day=0, minute_of_hour=30, name="daily_ingest_schedule"
)
weekly_scorecard_schedule = dg.build_schedule_from_partitioned_job(
    weekly_scorecard, hour_of_day=6, minute_of_hour=0, name="weekly_scorecard_schedule"
)


@dg.sensor(job=daily_ingest, minimum_interval_seconds=60)
def lake_partitions_sensor(context: dg.SensorEvaluationContext, lake: Lake) -> dg.SensorResult:
    """Loads a lake day whenever a new partition appears or new files land in one."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for day in lake.partitions():
        sig = lake.signature(day)
        if seen.get(day) != sig and daily.has_partition_key(day):
            requests.append(dg.RunRequest(partition_key=day, run_key=sig))
            seen[day] = sig
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))


def build_definitions(settings: PipelineSettings) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[daily_ingest, weekly_scorecard, refresh_runs],
        schedules=[daily_ingest_schedule, weekly_scorecard_schedule],
        sensors=[lake_partitions_sensor],
        resources=build_resources(settings),
    )
