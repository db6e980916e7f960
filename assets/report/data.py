"""The weekly report's numbers: DuckDB statements (``sql/duckdb/report_*.sql``) into Polars
frames, shaped there (week-over-week deltas, the KPI trend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from assets import _db as q
from assets.partitions import iso_week
from streams.errors import AgentgaugeError

# The overview's KPIs: column, label, kind (rate: percent with one decimal; ms; usd; count).
KPIS: list[tuple[str, str, str]] = [
    ("runs", "Runs", "count"),
    ("success_rate", "Success", "rate"),
    ("override_rate", "Override", "rate"),
    ("escalation_rate", "Escalation", "rate"),
    ("p95_duration_ms", "p95 latency", "ms"),
    ("cost_per_success", "Cost per success", "usd"),
]
# The weekly tables the report reads (the asset's upstream), and what it reads besides.
WEEKLY_TABLES = (
    "scorecard_weekly",
    "scorecard_weekly_rollup",
    "drift_weekly",
    "cohort_gate_weekly",
    "failure_reasons_weekly",
    "alerts_weekly",
)
_TABLES = (*WEEKLY_TABLES, "alerts", "runs", "events")


class ReportUnavailable(AgentgaugeError):
    """The warehouse lacks what the report reads (materialize the scorecards first)."""


@dataclass(frozen=True)
class ReportData:
    week_start: date
    overall: dict[str, object]  # the overall row of the week, with d_<kpi> deltas
    trend: pl.DataFrame  # week_start, workflow, the KPIs: workflow rollups of eight weeks
    shares: pl.DataFrame  # workflow, runs, latest_prompt_share of the week
    releases: pl.DataFrame  # per workflow: the latest prompt version against the one before
    segments: pl.DataFrame
    gates: pl.DataFrame
    failures: pl.DataFrame
    retries: pl.DataFrame
    costs: pl.DataFrame
    prompts: pl.DataFrame
    incidents: pl.DataFrame
    breakers: pl.DataFrame

    @property
    def iso_week(self) -> str:
        return iso_week(self.week_start.isoformat())


def _frame(conn: duckdb.DuckDBPyConnection, name: str, week_start: date) -> pl.DataFrame:
    return q.relation(conn, name, week_start=week_start).pl()


def _check_tables(conn: duckdb.DuckDBPyConnection) -> None:
    have = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = [t for t in _TABLES if t not in have]
    if missing:
        raise ReportUnavailable(
            f"the warehouse has no {', '.join(missing)}: run `agentgauge materialize --all`"
        )


def latest_week(conn: duckdb.DuckDBPyConnection) -> date:
    _check_tables(conn)
    row = conn.execute("SELECT max(week_start) FROM scorecard_weekly_rollup").fetchone()
    if row is None or row[0] is None:
        raise ReportUnavailable("no scorecard weeks yet: run `agentgauge materialize --all`")
    return row[0]  # type: ignore[no-any-return]


def _overall(trend_all: pl.DataFrame, week_start: date) -> dict[str, object]:
    rows = trend_all.filter(pl.col("level") == "overall")
    this = rows.filter(pl.col("week_start") == week_start)
    if this.is_empty():
        raise ReportUnavailable(
            f"no finished runs in the week of {week_start}: nothing to report (materialize it?)"
        )
    prev = rows.filter(pl.col("week_start") == week_start - timedelta(days=7))
    out: dict[str, object] = dict(this.row(0, named=True))
    before = prev.row(0, named=True) if not prev.is_empty() else {}
    for col, _, _ in KPIS:
        now, was = out.get(col), before.get(col)
        out[f"d_{col}"] = now - was if now is not None and was is not None else None  # type: ignore[operator]
        out[f"prev_{col}"] = was
    out["prev_week"] = bool(before)
    return out


def _releases(long: pl.DataFrame) -> pl.DataFrame:
    """One row per workflow: its latest release, the previous one, and the KPI changes from
    the previous to the latest (null where either has no finished run in the eight weeks)."""
    cols = ["runs", "success_rate", "escalation_rate", "p95_duration_ms", "cost_per_success"]
    latest = long.filter(pl.col("release_rank") == 1).select(
        "workflow",
        pl.col("prompt_version").alias("release"),
        pl.col("released_at").dt.strftime("%Y-%m-%d").alias("released"),
        *[pl.col(c).alias(f"{c}_new") for c in cols],
    )
    prev = long.filter(pl.col("release_rank") == 2).select(
        "workflow",
        pl.col("prompt_version").alias("previous"),
        *[pl.col(c).alias(f"{c}_old") for c in cols],
    )
    joined = latest.join(prev, on="workflow", how="left")
    return joined.select(
        "workflow",
        "release",
        "released",
        "previous",
        pl.col("runs_new").alias("runs_on_release"),
        pl.col("runs_old").alias("runs_on_previous"),
        *[
            (pl.col(f"{c}_new") - pl.col(f"{c}_old")).alias(f"d_{c}")
            for c in ("success_rate", "escalation_rate")
        ],
        (pl.col("p95_duration_ms_new") - pl.col("p95_duration_ms_old")).alias("change_p95_ms"),
        (pl.col("cost_per_success_new") - pl.col("cost_per_success_old")).alias(
            "change_cost_per_success"
        ),
    ).sort("workflow")


def load(conn: duckdb.DuckDBPyConnection, week_start: date) -> ReportData:
    """Everything the report shows for the ISO week starting ``week_start``."""
    _check_tables(conn)
    trend_all = _frame(conn, "report_rollup_trend", week_start)
    overall = _overall(trend_all, week_start)
    workflows = trend_all.filter(pl.col("level") == "workflow")
    trend = workflows.select("week_start", "workflow", *[c for c, _, _ in KPIS])
    shares = workflows.filter(pl.col("week_start") == week_start).select(
        "workflow", "runs", "latest_prompt_share"
    )
    return ReportData(
        week_start=week_start,
        overall=overall,
        trend=trend,
        shares=shares,
        releases=_releases(_frame(conn, "report_releases", week_start)),
        segments=_frame(conn, "report_segments", week_start),
        gates=_frame(conn, "report_gates", week_start),
        failures=_frame(conn, "report_failure_reasons", week_start),
        retries=_frame(conn, "report_retry_causes", week_start),
        costs=_frame(conn, "report_costs", week_start),
        prompts=_frame(conn, "report_prompt_versions", week_start),
        incidents=_frame(conn, "report_incidents", week_start),
        breakers=_frame(conn, "report_breakers", week_start),
    )
