"""Scorecards over N simulated events: our SQL against a raw DuckDB query, and end to end.

Run: ``.venv/bin/python -m bench.bench_scorecard [--events 10000000]``. Figures are printed,
not asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from assets import _db as q
from bench.common import print_table
from dagster_project.run import materialize
from streams.lake import write_lake
from streams.pricing import PriceTable

RAW = """
WITH fin AS (
  SELECT run_id, arg_min(status, ts) AS status, arg_min(workflow, ts) AS workflow,
         arg_min(segment, ts) AS segment, min(ts) AS fts, arg_min(duration_ms, ts) AS dur
  FROM events WHERE event_type = 'run_finished' GROUP BY run_id),
c AS (SELECT run_id, sum(cost_usd) AS cost, count(*) FILTER (WHERE event_type = 'retry') AS r
      FROM events GROUP BY run_id)
SELECT date_trunc('week', fts) AS w, workflow, segment, count(*) AS runs,
       avg((status = 'success')::DOUBLE), avg((r > 0)::DOUBLE), quantile_cont(dur, 0.5),
       quantile_cont(dur, 0.95), sum(cost), sum(cost) / nullif(count(*) FILTER (
         WHERE status = 'success'), 0)
FROM fin JOIN c USING (run_id) GROUP BY ALL
"""


def generate(lake: Path, n: int) -> int:
    prices = PriceTable.load(AppSettings().prices_file)
    start = datetime(2026, 10, 5, tzinfo=UTC)
    written = 0
    chunk = 0
    while written < n:  # one simulated day per chunk, so memory stays small
        day = start + timedelta(days=chunk % 35)
        events = simulate(SimConfig(runs=20_000, seed=chunk, start=day, days=1), prices)
        events = events[: n - written]
        write_lake(events, lake, validate=False)
        written += len(events)
        chunk += 1
    return written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        t = time.perf_counter()
        n = generate(tmp / "lake", args.events)
        gen_s = time.perf_counter() - t
        s = AppSettings(
            var_dir=tmp,
            duckdb_path=tmp / "wh.duckdb",
            lake_path=tmp / "lake",
            bootstrap_servers="127.0.0.1:1",
        )
        t = time.perf_counter()
        outcome = materialize(s, None)
        e2e = time.perf_counter() - t
        assert outcome.ok, outcome
        with duckdb.connect(str(s.duckdb_path)) as conn:
            conn.execute("SET TimeZone = 'UTC'")
            t = time.perf_counter()
            conn.execute(RAW).fetchall()
            raw_s = time.perf_counter() - t
            weeks = [r[0] for r in conn.execute("SELECT DISTINCT week_start FROM runs").fetchall()]
            t = time.perf_counter()
            q.run(conn, "runs_rebuild")
            for w in weeks:
                q.run(conn, "scorecard_stage", week_start=w, week_end=w + timedelta(days=7))
            ours_s = time.perf_counter() - t
        print_table(
            f"Scorecards over {n:,} events ({len(weeks)} weeks), same DuckDB file, same run",
            ["what", "seconds", "ratio"],
            [
                ["raw DuckDB query (core metrics, one GROUP BY)", f"{raw_s:.2f}", "1.00x"],
                [
                    "agentgauge runs + scorecard SQL (all metrics, all levels)",
                    f"{ours_s:.2f}",
                    f"{ours_s / raw_s:.2f}x",
                ],
                [
                    "end to end: agentgauge materialize --all (lake -> checked scorecards)",
                    f"{e2e:.1f}",
                    "-",
                ],
                ["(generating the lake, not part of the product)", f"{gen_s:.1f}", "-"],
            ],
        )


if __name__ == "__main__":
    main()
