"""``raw_events``: daily lake partitions loaded into the DuckDB table ``events``."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from assets import _db as q
from assets.partitions import daily
from assets.quality import run_suite
from assets.resources import Lake, Warehouse
from streams.contract import CALL_STATUSES, EVENT_TYPES, RUN_STATUSES

CHECK = "raw_events_contract"
LOADED = "raw_events_every_line_loaded"


def _expectations() -> list[Any]:
    import great_expectations.expectations as gxe

    required = [
        "event_id",
        "event_type",
        "ts",
        "run_id",
        "trace_id",
        "workflow",
        "customer_id",
        "segment",
    ]
    out: list[Any] = [gxe.ExpectColumnValuesToBeUnique(column="event_id")]
    out += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in required]
    out += [
        gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=list(EVENT_TYPES)),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=[*CALL_STATUSES, *RUN_STATUSES]),
    ]
    out += [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0)
        for c in ("cost_usd", "input_tokens", "output_tokens", "latency_ms", "duration_ms")
    ]
    now = datetime.now(UTC)
    out.append(
        gxe.ExpectColumnValuesToBeBetween(
            column="ts_epoch_s",
            min_value=datetime(2020, 1, 1, tzinfo=UTC).timestamp(),
            max_value=(now + timedelta(days=1)).timestamp(),
        )
    )
    return out


@dg.asset(
    partitions_def=daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="warehouse",
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset="raw_events",
            blocking=True,
            description="contract v1 on the loaded rows (GX)",
        ),
        dg.AssetCheckSpec(
            LOADED,
            asset="raw_events",
            blocking=True,
            description="every lake line loaded: none unreadable or breaking the contract",
        ),
    ],
    description="Lake partitions loaded into `events`: one day replaced per transaction, "
    "de-duplicated by event_id (first arrival wins).",
)
def raw_events(
    context: dg.AssetExecutionContext, warehouse: Warehouse, lake: Lake
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    loaded: dict[str, int] = {}
    rejected = 0
    rejected_files: dict[str, int] = {}
    days = context.partition_keys
    with warehouse.connect() as conn:
        q.ensure_events(conn)
        for day in days:
            files = lake.files(day)
            conn.execute("BEGIN TRANSACTION")
            try:
                q.run(conn, "events_delete_partition", dt=day)
                if files:
                    q.run(conn, "events_stage_partition", files=files)
                    for name, n in q.run(conn, "events_stage_rejects_by_file").fetchall():
                        rejected += int(n)
                        rejected_files[str(name)] = int(n)
                    q.run(conn, "events_insert_partition", dt=day)
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            loaded[day] = int(
                conn.execute("SELECT count(*) FROM events WHERE dt = ?", [day]).fetchone()[0]  # type: ignore[index]
            )
        frame = conn.execute(
            "SELECT event_id, event_type, ts, epoch(ts) AS ts_epoch_s, run_id, trace_id, workflow,"
            " customer_id, segment, status, cost_usd, input_tokens, output_tokens, latency_ms,"
            " duration_ms FROM events WHERE dt IN (SELECT unnest(?::DATE[]))",
            [days],
        ).df()
    yield dg.MaterializeResult(
        metadata={
            "rows": sum(loaded.values()),
            "days": len(days),
            "rejected_rows": rejected,
            "rows_by_day": dg.MetadataValue.json(loaded),
        }
    )
    yield run_suite(CHECK, frame, _expectations())
    # A lake line the warehouse cannot read, or that breaks the contract, is never dropped in
    # silence: it fails this check (and blocks the scorecards), naming the files it is in.
    yield dg.AssetCheckResult(
        check_name=LOADED,
        passed=rejected == 0,
        metadata={
            "rejected_rows": rejected,
            "files_with_rejected_rows": dg.MetadataValue.json(
                dict(sorted(rejected_files.items())[:20])
            ),
        },
        severity=dg.AssetCheckSeverity.ERROR,
    )
