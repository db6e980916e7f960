"""Comparing warehouses: every table's content as an order-free digest."""

from __future__ import annotations

from pathlib import Path

import duckdb


def table_digests(db: Path) -> dict[str, str]:
    """Each table's row count and an order-free digest of all its columns, by table name."""
    with duckdb.connect(str(db), read_only=True) as conn:
        tables = [r[0] for r in conn.execute("SHOW TABLES").fetchall()]
        # A table name cannot be a bound parameter; these come from the catalog itself.
        return {
            t: conn.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(CAST(x AS VARCHAR), '|'"
                f" ORDER BY CAST(x AS VARCHAR))), '') FROM \"{t}\" AS x"
            ).fetchone()[0]  # type: ignore[index]
            for t in tables
        }
