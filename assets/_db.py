"""Running the warehouse statements of ``sql/duckdb/``, one per file, with bound parameters."""

from __future__ import annotations

from typing import Any

import duckdb

import sql


def run(conn: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute ``sql/duckdb/<name>.sql`` with only the parameters it names."""
    text = sql.load("duckdb", name)
    bound = {k: v for k, v in params.items() if f"${k}" in text}
    return conn.execute(text, bound) if bound else conn.execute(text)


def relation(conn: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyRelation:
    """``sql/duckdb/<name>.sql`` as a relation (for ``.pl()``: no extra copy of the rows)."""
    text = sql.load("duckdb", name)
    return conn.sql(text, params={k: v for k, v in params.items() if f"${k}" in text})


def ensure_events(conn: duckdb.DuckDBPyConnection) -> None:
    """The ``events`` table, with every column added since it was first made."""
    run(conn, "create_events")
    run(conn, "events_add_fatal")
    run(conn, "events_days_create")


def ensure_runs(conn: duckdb.DuckDBPyConnection) -> None:
    """``runs``, the days it is up to date with, and the stale-scorecards marker."""
    run(conn, "runs_create")
    run(conn, "runs_days_create")
    run(conn, "stale_create")


SCORECARD_ADDED = (
    "quality_pass_rate",
    "quality_scored_runs",
    "policy_violations",
    "critical_policy_violations",
)


def ensure_scorecards(conn: duckdb.DuckDBPyConnection) -> None:
    """``scorecard_weekly`` and its rollup (shaped by the staged week), with every column
    added since they were first made."""
    run(conn, "scorecard_create")
    run(conn, "rollup_create")
    for column in SCORECARD_ADDED:
        run(conn, f"scorecard_add_{column}")
        run(conn, f"rollup_add_{column}")


def rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The cursor's result as dicts, column name to value."""
    cols = [c[0] for c in cursor.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def connect_utc(database: str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the session time zone pinned to UTC (ISO weeks start Monday
    00:00 UTC)."""
    conn = duckdb.connect(database, read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    return conn
