"""Runs and the weekly scorecards (docs/scorecard.md), with their GX checks."""

from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg

from assets import _db as q
from assets._factories import weekly_table
from assets.partitions import week_end, weekly
from assets.quality import Expectation, expect, run_suite
from assets.resources import GatesFile, Warehouse

RATES = [
    "success_rate",
    "failure_rate",
    "escalation_rate",
    "override_rate",
    "retry_rate",
    "latest_prompt_share",
    "latest_policy_share",
    "quality_pass_rate",
]


@dg.asset(
    deps=["raw_events"],
    group_name="warehouse",
    description="One row per finished run: week, status, duration, cost, versions, flags. "
    "Kept up to date run by run: only the runs of lake days that changed are redone.",
)
def runs(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        q.ensure_events(conn)
        q.ensure_runs(conn)
        changed = q.run(conn, "runs_changed_days").fetchall()
        days = [d for d, _ in changed]
        (synced,) = conn.execute("SELECT count(*) FROM runs_days").fetchone() or (0,)
        rebuild = any(gone for _, gone in changed) or not synced
        weeks: set[date] = set()
        conn.execute("BEGIN TRANSACTION")
        if rebuild:  # a day left the lake (retention), or nothing was built yet
            q.run(conn, "runs_delete_all")
            q.run(conn, "runs_source_all")
            q.run(conn, "runs_insert")
            weeks = {r[0] for r in q.run(conn, "runs_weeks").fetchall()}
            first = min(weeks, default=None)
        elif days:
            q.run(conn, "runs_affected_stage", days=days)
            weeks = {r[0] for r in q.run(conn, "runs_affected_weeks").fetchall()}
            q.run(conn, "runs_delete_affected")
            q.run(conn, "runs_source_affected")
            q.run(conn, "runs_insert")
            weeks |= {r[0] for r in q.run(conn, "runs_affected_weeks").fetchall()}
            weeks |= {_monday(date.fromisoformat(d)) for d in days}
            first = min(weeks)
        else:
            first = None
        if first is not None:
            q.run(conn, "stale_mark", from_week=first)
        q.run(conn, "runs_days_sync")
        conn.execute("COMMIT")
        n, n_weeks = conn.execute(
            "SELECT count(*), count(DISTINCT week_start) FROM runs"
        ).fetchone()  # type: ignore[misc]
    return dg.MaterializeResult(
        metadata={
            "runs": int(n),
            "weeks": int(n_weeks),
            "changed_days": len(days),
            "rebuilt": rebuild,
            "stale_from_week": str(first) if first else "",
        }
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _scorecard_expectations() -> list[Expectation]:
    out: list[Expectation] = [
        expect.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in RATES
    ]
    out.append(expect.ExpectColumnValuesToBeBetween(column="runs", min_value=1))
    out.append(
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="p95_duration_ms",
            column_B="p50_duration_ms",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    )
    return out


def _rollup_expectations() -> list[Expectation]:
    return [
        expect.ExpectColumnPairValuesToBeEqual(column_A="rollup_runs", column_B="segment_runs"),
        expect.ExpectColumnValuesToBeBetween(column="cost_abs_diff", max_value=1e-6),
    ]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "scorecard_weekly",
            deps=["runs"],
            group_name="scorecards",
            partitions_def=weekly,
            description="One row per (week_start, workflow, segment).",
        ),
        dg.AssetSpec(
            "scorecard_weekly_rollup",
            deps=["runs"],
            group_name="scorecards",
            partitions_def=weekly,
            description="Per workflow across segments (segment 'ALL') and overall.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("scorecard_valid", asset="scorecard_weekly", blocking=True),
        dg.AssetCheckSpec("rollup_valid", asset="scorecard_weekly_rollup", blocking=True),
        dg.AssetCheckSpec(
            "rollup_matches_segments", asset="scorecard_weekly_rollup", blocking=True
        ),
    ],
    partitions_def=weekly,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def scorecards(
    context: dg.AssetExecutionContext, warehouse: Warehouse, gates: GatesFile
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    weeks = list(context.partition_keys)
    pass_mark = gates.load().defaults.quality_pass_mark
    with warehouse.connect() as conn:
        for week in weeks:
            start = date.fromisoformat(week)
            q.run(
                conn,
                "scorecard_stage",
                week_start=start,
                week_end=date.fromisoformat(week_end(week)),
                quality_pass_mark=pass_mark,
            )
            q.ensure_scorecards(conn)
            conn.execute("BEGIN TRANSACTION")
            q.run(conn, "scorecard_delete_week", week_start=start)
            q.run(conn, "scorecard_insert_week")
            q.run(conn, "rollup_delete_week", week_start=start)
            q.run(conn, "rollup_insert_week")
            conn.execute("COMMIT")
        key_s, key_r = dg.AssetKey("scorecard_weekly"), dg.AssetKey("scorecard_weekly_rollup")
        by_week = {"weeks": weeks}
        checks = [
            run_suite(
                "scorecard_valid",
                conn,
                "check_scorecard_weeks",
                by_week,
                _scorecard_expectations(),
                asset_key=key_s,
            ),
            run_suite(
                "rollup_valid",
                conn,
                "check_rollup_weeks",
                by_week,
                _scorecard_expectations(),
                asset_key=key_r,
            ),
            run_suite(
                "rollup_matches_segments",
                conn,
                "check_rollup_totals",
                by_week,
                _rollup_expectations(),
                asset_key=key_r,
            ),
        ]
    yield dg.MaterializeResult(asset_key=key_s, metadata={"rows": checks[0].metadata["rows"]})
    yield dg.MaterializeResult(asset_key=key_r, metadata={"rows": checks[1].metadata["rows"]})
    yield from checks


failure_reasons_weekly = weekly_table(
    "failure_reasons_weekly", ["runs"], "Error events of the week's runs by category."
)
cohort_gate_weekly = weekly_table(
    "cohort_gate_weekly", ["runs"], "Canary against control per workflow, with gate_pass."
)
drift_weekly = weekly_table(
    "drift_weekly", ["scorecard_weekly", "runs"], "Week-over-week deltas, cost/duration PSI."
)


class ViewConfig(dg.Config):
    """``built_from_week``: every weekly table was just built from this week (YYYY-MM-DD, a
    Monday) on, so the scorecards are current again (``materialize --all`` sets it)."""

    built_from_week: str = ""


@dg.asset(
    deps=["scorecard_weekly", "scorecard_weekly_rollup", "drift_weekly"],
    group_name="scorecards",
    description="The `scorecard` SQL view: all levels of all weeks, with drift.",
)
def scorecard_view(config: ViewConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        q.run(conn, "drift_weekly_create")
        q.run(conn, "view_scorecard")
        if config.built_from_week:
            q.ensure_runs(conn)
            q.run(conn, "stale_clear", from_week=date.fromisoformat(config.built_from_week))
        n = conn.execute("SELECT count(*) FROM scorecard").fetchone()[0]  # type: ignore[index]
    return dg.MaterializeResult(metadata={"rows": int(n)})
