"""The windowed rules' evidence lands in the warehouse, also in one created before it existed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.alerts import EVIDENCE_COLUMNS, store_alerts
from tests.support.alerts import WINDOWED

OLD_TABLE = """CREATE TABLE alerts (
  alert_id VARCHAR PRIMARY KEY, rule VARCHAR, severity VARCHAR, workflow VARCHAR,
  customer_id VARCHAR, segment VARCHAR, run_id VARCHAR, trace_id VARCHAR, observed DOUBLE,
  threshold DOUBLE, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ,
  first_event_ts TIMESTAMPTZ, detected_at TIMESTAMPTZ, ceilings_version VARCHAR, runbook VARCHAR
)"""


def test_evidence_columns_in_new_and_old_warehouses(tmp_path: Path) -> None:
    for name, setup in (("new", None), ("old", OLD_TABLE)):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as conn:
            if setup:
                conn.execute(setup)
                conn.execute(
                    "INSERT INTO alerts (alert_id, rule) VALUES ('old1', 'run_cost_ceiling')"
                )
            assert store_alerts(conn, [WINDOWED]) == (2 if setup else 1)
            row = conn.execute(
                f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM alerts WHERE alert_id = ?",
                [WINDOWED["alert_id"]],
            ).fetchone()
            assert row == ("segment", 0.0241, 61, 5210, 3.1e-19, 24.0), name
