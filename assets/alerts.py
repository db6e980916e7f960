"""Alerts from ``agent-alerts`` in the warehouse, and their weekly roll-up."""

import tempfile
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import orjson

from assets import _db as q
from assets._factories import weekly_table
from assets.resources import AlertsSource, Warehouse
from streams.errors import KafkaUnavailable, TopicMissing

# The windowed rules' evidence (docs/alerts.md); older warehouses gain the columns.
EVIDENCE_COLUMNS = (
    "level",
    "baseline",
    "window_volume",
    "baseline_volume",
    "p_value",
    "baseline_hours",
)
# Breaker records (docs/breaker.md): what was stopped, why and by whom.
BREAKER_COLUMNS = ("scope", "scope_key", "reason", "actor")


def store_alerts(conn: duckdb.DuckDBPyConnection, records: list[dict[str, Any]]) -> int:
    """Upsert alert records by alert_id (with the lifecycle table they join); returns the total."""
    q.run(conn, "alerts_create")
    for column in (*EVIDENCE_COLUMNS, *BREAKER_COLUMNS):
        q.run(conn, f"alerts_add_{column}")
    q.run(conn, "alert_actions_create")
    if records:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "alerts.jsonl"
            path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
            q.run(conn, "alerts_upsert", file=str(path))
    return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])  # type: ignore[index]


@dg.asset(group_name="warehouse", description="Every alert on agent-alerts, keyed by alert_id.")
def alerts(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    alerts_source: dg.ResourceParam[AlertsSource],
) -> dg.MaterializeResult:
    try:
        records = alerts_source.read()
    except (KafkaUnavailable, TopicMissing) as exc:  # keep what the warehouse has
        context.log.warning(f"alerts source unavailable ({exc}); keeping the stored alerts")
        records = []
    with warehouse.connect() as conn:
        total = store_alerts(conn, records)
    return dg.MaterializeResult(metadata={"read": len(records), "alerts": total})


alerts_weekly = weekly_table(
    "alerts_weekly",
    ["alerts", "runs"],
    "Alerts per week, workflow and rule; per 1,000 runs; time to acknowledge and resolve.",
)
