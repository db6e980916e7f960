"""Great Expectations 1.x suites, evaluated where the data is: set-based DuckDB queries.

The expectations are GX's (``expect.ExpectColumnValuesToBeBetween(column=..., min_value=0)``:
GX's class names and keyword arguments; :meth:`Expectation.to_gx` builds GX's own object).
Pulling every loaded row into pandas for GX's engine was most of a backfill's time (85 of 117 s
at 2M events) and its memory (3 GB peak); GX 1.x has no DuckDB data source (its SQL engine wants
SQLAlchemy and a dialect we do not ship), and importing GX alone takes 9 s. So each expectation
becomes one predicate over the rows ("this row is unexpected"), counted in one pass, with GX's
result fields: ``unexpected_count`` over every row (no sampling) and a
``partial_unexpected_list``. ``tests/assets/test_quality.py`` holds every translation to GX's
own pandas results on the same rows. Values are bound as parameters, never formatted in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb

import sql

SAMPLE = 20  # GX's partial_unexpected_list length (result_format SUMMARY)


class UnsupportedExpectation(NotImplementedError):
    """An expectation this translation has no predicate for (add one, with its GX test)."""


@dataclass(frozen=True)
class Expectation:
    """A GX 1.x expectation: its type (``expect_column_values_to_be_between``) and kwargs."""

    type: str
    kwargs: dict[str, Any]

    def to_gx(self) -> Any:
        """GX's own expectation object (imports GX, which is slow: tests and tools only)."""
        import great_expectations.expectations as gxe

        name = "".join(part.capitalize() for part in self.type.split("_"))
        return getattr(gxe, name)(**self.kwargs)


class _Expect:
    """``expect.<GX class name>(**kwargs)``: an :class:`Expectation` without importing GX."""

    def __getattr__(self, name: str) -> Callable[..., Expectation]:
        kind = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

        def make(**kwargs: Any) -> Expectation:
            return Expectation(kind, kwargs)

        return make


expect = _Expect()


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, as GX reports it."""

    type: str
    kwargs: dict[str, Any]
    success: bool
    unexpected_count: int
    partial_unexpected_list: list[Any]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"${key}"


def _pair(kw: dict[str, Any], compare: str) -> str:
    """Rows of a column pair that break ``compare``, minus those GX's ``ignore_row_if`` skips."""
    a, b = _ident(kw["column_A"]), _ident(kw["column_B"])
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    skip = {
        "both_values_are_missing": f"({a} IS NULL AND {b} IS NULL)",
        "either_value_is_missing": f"({a} IS NULL OR {b} IS NULL)",
        "neither": "false",
    }[ignore]
    return f"NOT {skip} AND NOT coalesce({compare.format(a=a, b=b)}, false)"


def _predicate(kind: str, kw: dict[str, Any], p: _Params) -> tuple[str, str]:
    """(predicate true for an unexpected row, the expression GX lists for such a row)."""
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kw.get("or_equal") else ">"
        shown = f"{_ident(kw['column_A'])}, {_ident(kw['column_B'])}"
        return _pair(kw, "{a} " + op + " {b}"), shown
    if kind == "expect_column_pair_values_to_be_equal":
        shown = f"{_ident(kw['column_A'])}, {_ident(kw['column_B'])}"
        return _pair(kw, "{a} = {b}"), shown
    col = _ident(kw["column"])
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} IS NULL", col
    if kind == "expect_column_values_to_be_in_set":
        return (
            f"{col} IS NOT NULL AND NOT list_contains({p.bind(list(kw['value_set']))}, {col})",
            col,
        )
    if kind == "expect_column_values_to_be_between":
        out = []
        if kw.get("min_value") is not None:
            op = "<=" if kw.get("strict_min") else "<"
            out.append(f"{col} {op} {p.bind(kw['min_value'])}")
        if kw.get("max_value") is not None:
            op = ">=" if kw.get("strict_max") else ">"
            out.append(f"{col} {op} {p.bind(kw['max_value'])}")
        return f"{col} IS NOT NULL AND ({' OR '.join(out) or 'false'})", col
    raise UnsupportedExpectation(kind)


class _Rows:
    """The rows under check: one statement of ``sql/duckdb/`` with its parameters, queried as
    a common table expression (never copied out of DuckDB)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, text: str, params: dict[str, Any]):
        self.conn, self.text, self.params = conn, text, params

    def _execute(self, rest: str, p: _Params) -> duckdb.DuckDBPyConnection:
        text = f"WITH quality_rows AS ({self.text}\n) {rest}"
        named = {**self.params, **p.values}
        used = set(re.findall(r"\$(\w+)", text))  # DuckDB refuses a value it was not asked for
        return self.conn.execute(text, {k: v for k, v in named.items() if k in used})

    def query(self, rest: str, p: _Params) -> list[tuple[Any, ...]]:
        return self._execute(rest, p).fetchall()

    def description(self, p: _Params) -> list[str]:
        cur = self._execute("SELECT * FROM quality_rows LIMIT 0", p)
        return [d[0] for d in cur.description or []]


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    statement: str,
    params: dict[str, Any],
    expectations: list[Expectation],
) -> tuple[int, list[Outcome], str | None]:
    """Every expectation over every row of ``sql/duckdb/<statement>.sql``: (rows, outcomes,
    the first unexpected rows as a markdown table, or None when every row passed)."""
    return evaluate_text(conn, sql.load("duckdb", statement), params, expectations)


def evaluate_text(
    conn: duckdb.DuckDBPyConnection,
    text: str,
    params: dict[str, Any],
    expectations: list[Expectation],
) -> tuple[int, list[Outcome], str | None]:
    """:func:`evaluate` over the rows of the statement ``text``."""
    rows_of = _Rows(conn, text.strip().rstrip(";"), params)
    p = _Params()
    counted: list[tuple[str, dict[str, Any], str, str]] = []
    for e in expectations:
        kw = dict(e.kwargs)
        if e.type == "expect_column_values_to_be_unique":
            col = _ident(kw["column"])
            dup = f"{col} IN (SELECT {col} FROM quality_rows GROUP BY ALL HAVING count(*) > 1)"
            counted.append((e.type, kw, dup, col))
        else:
            counted.append((e.type, kw, *_predicate(e.type, kw, p)))
    # Row-wise predicates in one pass; each uniqueness (a join of the rows with their own
    # duplicate values) on its own: in the same pass DuckDB runs it many times slower.
    row_wise = [i for i, c in enumerate(counted) if c[0] != "expect_column_values_to_be_unique"]
    select = ["count(*)"] + [f"count(*) FILTER (WHERE {counted[i][2]})" for i in row_wise]
    (totals,) = rows_of.query(f"SELECT {', '.join(select)} FROM quality_rows", p)
    rows, counts = int(totals[0]), [0] * len(counted)
    for i, n in zip(row_wise, totals[1:], strict=True):
        counts[i] = int(n)
    for i, (kind, _, _, col) in enumerate(counted):
        if kind == "expect_column_values_to_be_unique":
            # The rows in groups of a repeated value, counted from the groups themselves (not
            # the rows joined back to their duplicates: half the time), and grouped first by the
            # value's 64-bit hash, then exactly among the rows whose hash repeats: 50M distinct
            # strings in one aggregation spill to disk, 50M integers do not (event_id at 50M
            # events: 12.2 -> 4.6 s).
            counts[i] = int(
                rows_of.query(
                    f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM quality_rows"
                    f" WHERE hash({col}) IN (SELECT hash({col}) FROM quality_rows"
                    f" WHERE {col} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
                    f" AND {col} IS NOT NULL GROUP BY {col} HAVING count(*) > 1)",
                    p,
                )[0][0]
            )
    outcomes: list[Outcome] = []
    failing: list[str] = []
    for (kind, kw, pred, shown), n in zip(counted, counts, strict=True):
        sample: list[Any] = []
        if n:
            found = rows_of.query(
                f"SELECT {shown} FROM quality_rows WHERE {pred} LIMIT {SAMPLE}", p
            )
            sample = [tuple(r) if len(r) > 1 else r[0] for r in found]
            failing.append(f"({pred})")
        outcomes.append(Outcome(kind, kw, n == 0, n, sample))
    if not failing:
        return rows, outcomes, None
    cols = rows_of.description(p)
    found = rows_of.query(f"SELECT * FROM quality_rows WHERE {' OR '.join(failing)} LIMIT 5", p)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in found]
    return rows, outcomes, "\n".join(lines)


def run_suite(
    name: str,
    conn: duckdb.DuckDBPyConnection,
    statement: str,
    params: dict[str, Any],
    expectations: list[Expectation],
    *,
    asset_key: dg.AssetKey | None = None,
    blocking_severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """Validate every row of ``sql/duckdb/<statement>.sql``; the metadata lists each failing
    expectation with samples of its unexpected values, and the first unexpected rows."""
    rows, outcomes, sample_rows = evaluate(conn, statement, params, expectations)
    if rows == 0:
        return dg.AssetCheckResult(
            check_name=name,
            passed=True,
            asset_key=asset_key,
            metadata={"rows": 0, "note": "no rows to check"},
        )
    failures = [
        {
            "expectation": o.type,
            "kwargs": o.kwargs,
            "unexpected_count": o.unexpected_count,
            "unexpected_sample": [str(v) for v in o.partial_unexpected_list[:5]],
        }
        for o in outcomes
        if not o.success
    ]
    metadata: dict[str, Any] = {
        "rows": rows,
        "expectations": len(expectations),
        "failed_expectations": dg.MetadataValue.json(failures),
    }
    if sample_rows is not None:
        metadata["sample_rows"] = dg.MetadataValue.md(sample_rows)
    return dg.AssetCheckResult(
        check_name=name,
        passed=not failures,
        asset_key=asset_key,
        metadata=metadata,
        severity=blocking_severity,
    )
