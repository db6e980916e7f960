"""Asset factories shared by the warehouse's asset modules."""

from datetime import date

import dagster as dg

from assets import _db as q
from assets.partitions import weekly
from assets.resources import Warehouse


def weekly_table(name: str, deps: list[str], description: str) -> dg.AssetsDefinition:
    """A weekly table rebuilt one week at a time: delete + insert in one transaction."""

    @dg.asset(
        name=name,
        deps=deps,
        description=description,
        partitions_def=weekly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="scorecards",
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as conn:
            q.run(conn, f"{name}_create")
            for week in context.partition_keys:
                conn.execute("BEGIN TRANSACTION")
                start = date.fromisoformat(week)
                q.run(conn, f"{name}_delete_week", week_start=start)
                q.run(conn, f"{name}_insert_week", week_start=start)
                conn.execute("COMMIT")
            rows = conn.execute(
                f"SELECT count(*) FROM {name} WHERE week_start IN (SELECT unnest(?::DATE[]))",
                [list(context.partition_keys)],
            ).fetchone()[0]  # type: ignore[index]
        return dg.MaterializeResult(metadata={"rows": int(rows)})

    return _asset
