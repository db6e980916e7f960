"""The DuckDB statements of ``sql/duckdb/``, one per file, run with bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql" / "duckdb"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def run(conn: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute ``sql/duckdb/<name>.sql`` with only the parameters it names."""
    text = sql(name)
    bound = {k: v for k, v in params.items() if f"${k}" in text}
    return conn.execute(text, bound) if bound else conn.execute(text)
