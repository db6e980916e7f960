"""The one Definitions of agentgauge: assets, checks, jobs, schedules, sensor, resources.

Resources are configured here and only here, from environment variables resolved at run time
(``EnvVar``); ``dagster_project.resources_from_settings`` builds the same set for the CLI.
"""

import dagster as dg

from assets import alerts as alerts_assets
from assets import raw_events as raw_assets
from assets import scorecards as scorecard_assets
from assets.partitions import daily, weekly
from assets.resources import AlertsSource, Lake, Warehouse
from streams.settings import Settings

ALL_ASSETS = dg.load_assets_from_modules([raw_assets, scorecard_assets, alerts_assets])

daily_ingest = dg.define_asset_job(
    "daily_ingest", selection=dg.AssetSelection.assets("raw_events"), partitions_def=daily
)
weekly_scorecard = dg.define_asset_job(
    "weekly_scorecard",
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets("raw_events", "runs", "alerts", "scorecard_view"),
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
    import json

    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for day in lake.partitions():
        sig = lake.signature(day)
        if seen.get(day) != sig and daily.has_partition_key(day):
            requests.append(dg.RunRequest(partition_key=day, run_key=sig))
            seen[day] = sig
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))


def resources_from_settings(settings: Settings) -> dict[str, dg.ConfigurableResource]:  # type: ignore[type-arg]
    """The same resources from explicit settings (CLI, tests)."""
    return {
        "warehouse": Warehouse(database=str(settings.duckdb_path)),
        "lake": Lake(path=str(settings.lake_path)),
        "alerts_source": AlertsSource(
            bootstrap_servers=settings.bootstrap_servers, topic=settings.topic_alerts
        ),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[daily_ingest, weekly_scorecard, refresh_runs],
    schedules=[daily_ingest_schedule, weekly_scorecard_schedule],
    sensors=[lake_partitions_sensor],
    resources={
        "warehouse": Warehouse(database=dg.EnvVar("AGENTGAUGE_DUCKDB_PATH")),
        "lake": Lake(path=dg.EnvVar("AGENTGAUGE_LAKE_PATH")),
        "alerts_source": AlertsSource(
            bootstrap_servers=dg.EnvVar("AGENTGAUGE_BOOTSTRAP_SERVERS"),
            topic=dg.EnvVar("AGENTGAUGE_TOPIC_ALERTS"),
        ),
    },
)
