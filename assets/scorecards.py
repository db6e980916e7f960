"""Runs and the weekly scorecards (docs/scorecard.md), with their GX checks."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import dagster as dg
import pandas as pd

from assets import _db as q
from assets._factories import weekly_table
from assets.partitions import week_end, weekly
from assets.quality import run_suite
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
    description="One row per finished run: week, status, duration, cost, versions, flags.",
)
def runs(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        q.ensure_events(conn)
        q.run(conn, "runs_rebuild")
        n, weeks = conn.execute("SELECT count(*), count(DISTINCT week_start) FROM runs").fetchone()  # type: ignore[misc]
    return dg.MaterializeResult(metadata={"runs": int(n), "weeks": int(weeks)})


def _scorecard_expectations() -> list[Any]:
    import great_expectations.expectations as gxe

    out: list[Any] = [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in RATES
    ]
    out.append(gxe.ExpectColumnValuesToBeBetween(column="runs", min_value=1))
    out.append(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="p95_duration_ms",
            column_B="p50_duration_ms",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    )
    return out


def _rollup_expectations() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnPairValuesToBeEqual(column_A="rollup_runs", column_B="segment_runs"),
        gxe.ExpectColumnValuesToBeBetween(column="cost_abs_diff", max_value=1e-6),
    ]


def _totals(conn: Any, weeks: list[str]) -> pd.DataFrame:
    """Each rollup row against the sum of the segment rows it covers."""
    return conn.execute(
        """
        SELECT r.week_start, r.workflow, r.runs AS rollup_runs, s.runs AS segment_runs,
               abs(r.cost_usd - s.cost_usd) AS cost_abs_diff
        FROM scorecard_weekly_rollup r
        JOIN (SELECT week_start, workflow, sum(runs) AS runs, sum(cost_usd) AS cost_usd
              FROM scorecard_weekly GROUP BY GROUPING SETS ((week_start, workflow), (week_start))
             ) s
          ON s.week_start = r.week_start AND coalesce(s.workflow, 'ALL') = r.workflow
        WHERE r.week_start IN (SELECT unnest(?::DATE[]))
        """,
        [weeks],
    ).df()


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
        week_list = "SELECT * FROM {t} WHERE week_start IN (SELECT unnest(?::DATE[]))"
        seg = conn.execute(week_list.format(t="scorecard_weekly"), [weeks]).df()
        roll = conn.execute(week_list.format(t="scorecard_weekly_rollup"), [weeks]).df()
        totals = _totals(conn, weeks)
    yield dg.MaterializeResult(asset_key="scorecard_weekly", metadata={"rows": len(seg)})
    yield dg.MaterializeResult(asset_key="scorecard_weekly_rollup", metadata={"rows": len(roll)})
    key_s, key_r = dg.AssetKey("scorecard_weekly"), dg.AssetKey("scorecard_weekly_rollup")
    yield run_suite("scorecard_valid", seg, _scorecard_expectations(), asset_key=key_s)
    yield run_suite("rollup_valid", roll, _scorecard_expectations(), asset_key=key_r)
    yield run_suite("rollup_matches_segments", totals, _rollup_expectations(), asset_key=key_r)


failure_reasons_weekly = weekly_table(
    "failure_reasons_weekly", ["runs"], "Error events of the week's runs by category."
)
cohort_gate_weekly = weekly_table(
    "cohort_gate_weekly", ["runs"], "Canary against control per workflow, with gate_pass."
)
drift_weekly = weekly_table(
    "drift_weekly", ["scorecard_weekly", "runs"], "Week-over-week deltas, cost/duration PSI."
)


@dg.asset(
    deps=["scorecard_weekly", "scorecard_weekly_rollup", "drift_weekly"],
    group_name="scorecards",
    description="The `scorecard` SQL view: all levels of all weeks, with drift.",
)
def scorecard_view(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        q.run(conn, "drift_weekly_create")
        q.run(conn, "view_scorecard")
        n = conn.execute("SELECT count(*) FROM scorecard").fetchone()[0]  # type: ignore[index]
    return dg.MaterializeResult(metadata={"rows": int(n)})
