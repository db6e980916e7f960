"""The weekly scorecard as rows, from the ``scorecard`` view (``agentgauge scorecard``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from assets import _db as q
from assets.partitions import iso_week_start


def query_scorecard(
    conn: duckdb.DuckDBPyConnection, week: str | None, workflow: str | None, segment: str | None
) -> list[dict[str, Any]]:
    """Rows of one ISO week (default: the latest), optionally of one workflow or segment."""
    return q.rows(
        q.run(
            conn,
            "scorecard_query",
            week=date.fromisoformat(iso_week_start(week)) if week else None,
            workflow=workflow,
            segment=segment,
        )
    )
