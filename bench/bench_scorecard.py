"""Scorecards at lake speed: the pipeline against a raw DuckDB pass over the same lake, same run.

For each size (events):
- (a) raw baseline: one DuckDB statement (``sql/duckdb/bench_raw_scorecard.sql``) from the lake's
  JSON files as they are on disk to a table with ``scorecard_weekly``'s columns and definitions;
- (b) our scorecard SQL alone, on the loaded warehouse: ``runs`` rebuilt, then every week's
  scorecard stage and tables;
- (c) end to end, ``agentgauge materialize --all`` on a fresh warehouse, in its own process
  (load, checks, every table, the view, the published copy), with its peak RSS.

Before (c), and again before (a), every lake file is read once, so both start from the same page
cache (at 50M the lake, 27 GB, is larger than what the machine can keep cached).

(a) is checked to agree with (c)'s ``scorecard_weekly`` cell by cell, so the baseline does the
same work. Figures are printed, and with ``--json FILE`` written, one object per size; nothing is
asserted on time.

Run: ``.venv/bin/python -m bench.bench_scorecard [--sizes 2000000,10000000] [--json out.json]
[--lakes var/bench-lakes]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from assets import _db as q
from assets.gates import load_gates
from assets.partitions import week_end
from bench.common import print_table
from streams import lake as lake_layout
from streams.lake import write_lake
from streams.pricing import PriceTable

RUNS_PER_DAY_CHUNK = 20_000  # one simulated day per chunk (~140k events), so memory stays small
DAYS = 35


def generate(lake: Path, n: int) -> int:
    prices = PriceTable.load(AppSettings().prices_file)
    start = datetime(2026, 10, 5, tzinfo=UTC)
    written = chunk = 0
    while written < n:
        day = start + timedelta(days=chunk % DAYS)
        cfg = SimConfig(runs=RUNS_PER_DAY_CHUNK, seed=chunk, start=day, days=1)
        events = simulate(cfg, prices)[: n - written]
        write_lake(events, lake, validate=False)
        written += len(events)
        chunk += 1
    return written


def _end_to_end(tmp: Path, lake: Path) -> tuple[float, float]:
    """``agentgauge materialize --all`` in a process of its own: (seconds, peak RSS MB)."""
    env = {
        **os.environ,
        "AGENTGAUGE_VAR_DIR": str(tmp / "var"),
        "AGENTGAUGE_LAKE_PATH": str(lake),
        "AGENTGAUGE_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # no broker: alerts are skipped
    }
    env.pop("AGENTGAUGE_DUCKDB_PATH", None)
    env.pop("DAGSTER_HOME", None)
    cli = str(Path(sys.executable).parent / "agentgauge")
    t = time.perf_counter()
    proc = subprocess.Popen([cli, "materialize", "--all"], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"agentgauge materialize --all failed ({status})")
    return seconds, usage.ru_maxrss / 1024


def _raw(tmp: Path, lake: Path, pass_mark: float) -> float:
    files = [
        str(f) for d in lake_layout.partitions(lake) for f in lake_layout.committed_files(lake, d)
    ]
    with q.connect_utc(str(tmp / "raw.duckdb")) as conn:
        conn.execute("SET memory_limit = '2GB'")
        t = time.perf_counter()
        q.run(conn, "bench_raw_scorecard", files=files, quality_pass_mark=pass_mark)
        return time.perf_counter() - t


def _formats(tmp: Path, lake: Path) -> dict[str, float]:
    """The lake-format question, measured: loading the JSON lines as landed into a DuckDB
    table (what raw_events does once per event), against compacting them to Parquet first and
    loading that (seconds for each step)."""
    files = [
        str(f) for d in lake_layout.partitions(lake) for f in lake_layout.committed_files(lake, d)
    ]
    out: dict[str, float] = {}
    with q.connect_utc(str(tmp / "formats.duckdb")) as conn:
        conn.execute("SET memory_limit = '2GB'")
        read = "SELECT * FROM read_json($files, format = 'newline_delimited')"
        t = time.perf_counter()
        conn.execute(f"CREATE TABLE from_json AS {read}", {"files": files})
        out["json_to_table_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute(
            f"COPY ({read}) TO '{tmp / 'lake.parquet'}' (FORMAT parquet)", {"files": files}
        )
        out["json_to_parquet_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute(f"CREATE TABLE from_parquet AS SELECT * FROM '{tmp / 'lake.parquet'}'")
        out["parquet_to_table_s"] = time.perf_counter() - t
        out["parquet_mb"] = (tmp / "lake.parquet").stat().st_size / 2**20
    (tmp / "formats.duckdb").unlink()
    (tmp / "lake.parquet").unlink()
    return {k: round(v, 2) for k, v in out.items()}


def _sql_alone(work: Path, pass_mark: float) -> tuple[float, list[Any]]:
    with q.connect_utc(str(work)) as conn:
        conn.execute("SET memory_limit = '2GB'")
        t = time.perf_counter()
        q.run(conn, "runs_delete_all")
        q.run(conn, "runs_source_all")
        q.run(conn, "runs_insert")
        weeks = [r[0] for r in q.run(conn, "runs_weeks").fetchall()]
        for w in weeks:
            end = date.fromisoformat(week_end(w.isoformat()))
            q.run(conn, "scorecard_stage", week_start=w, week_end=end, quality_pass_mark=pass_mark)
            q.run(conn, "scorecard_delete_week", week_start=w)
            q.run(conn, "scorecard_insert_week")
        return time.perf_counter() - t, weeks


def _agree(tmp: Path, work: Path) -> int:
    """Cells where (a) and the pipeline's scorecard_weekly differ (0: the same work)."""
    with q.connect_utc(str(tmp / "raw.duckdb")) as conn:
        conn.execute(f"ATTACH '{work}' AS wh (READ_ONLY)")
        cols = [
            r[0]
            for r in conn.execute("DESCRIBE wh.scorecard_weekly").fetchall()
            if r[0] not in ("week_start", "workflow", "segment")
        ]
        diffs = " + ".join(
            f"CAST(NOT (a.{c} IS NOT DISTINCT FROM b.{c} OR abs(a.{c} - b.{c}) < 1e-9) AS INT)"
            if c != "top_failure_reason"
            else f"CAST(a.{c} IS DISTINCT FROM b.{c} AS INT)"
            for c in cols
        )
        (n,) = conn.execute(
            f"SELECT coalesce(sum({diffs}), -1) + count(*) FILTER (WHERE a.runs IS NULL"
            " OR b.runs IS NULL) FROM bench_raw_scorecard a FULL JOIN wh.scorecard_weekly b"
            " USING (week_start, workflow, segment)"
        ).fetchone() or (-1,)
        return int(n)


def _lake(n: int, lakes: Path | None, tmp: Path) -> tuple[Path, int, float]:
    """A lake of ``n`` simulated events: (where, events, seconds to generate; 0 when reused from
    ``lakes/<n>``, which keeps generated lakes between runs)."""
    lake = (lakes / str(n)) if lakes else tmp / "lake"
    done = lake / "_GENERATED"
    if done.exists():
        return lake, int(done.read_text()), 0.0
    t = time.perf_counter()
    events = generate(lake, n)
    done.write_text(str(events))
    return lake, events, time.perf_counter() - t


def _warm(lake: Path) -> None:
    """Read every lake file once, so (c) and (a) start from the same page cache: (c) runs first,
    and otherwise paid for reading the lake from disk that (a) then found in memory."""
    for f in lake.rglob("part-*"):
        with f.open("rb") as fh:
            while fh.read(16 * 2**20):
                pass


def measure(n: int, lakes: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=lakes) as tmp_s:
        tmp = Path(tmp_s)
        lake, events, gen_s = _lake(n, lakes, tmp)
        pass_mark = load_gates(None).defaults.quality_pass_mark
        _warm(lake)
        e2e_s, rss_mb = _end_to_end(tmp, lake)
        _warm(lake)
        raw_s = _raw(tmp, lake, pass_mark)
        work = AppSettings(var_dir=tmp / "var").duckdb_work_path
        differ = _agree(tmp, work)
        sql_s, weeks = _sql_alone(work, pass_mark)
        lake_mb = sum(f.stat().st_size for f in lake.rglob("part-*")) / 2**20
        formats = _formats(tmp, lake)
        return {
            "events": events,
            "weeks": len(weeks),
            "raw_s": round(raw_s, 2),
            "sql_s": round(sql_s, 2),
            "end_to_end_s": round(e2e_s, 2),
            "peak_rss_mb": round(rss_mb),
            "lake_mb": round(lake_mb),
            "cells_differing_from_raw": differ,
            "generate_s": round(gen_s, 1),
            **formats,
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000000,10000000,50000000")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--lakes", type=Path, help="keep generated lakes here, and reuse them")
    args = ap.parse_args()
    results = []
    for n in [int(x) for x in args.sizes.split(",")]:
        r = measure(n, args.lakes)
        results.append(r)
        print(json.dumps(r), flush=True)
    rows = []
    base = next((r for r in results if r["events"] == 10_000_000), None)
    for r in results:
        scale = f"{r['end_to_end_s'] / base['end_to_end_s']:.2f}x" if base else "-"
        rows.append(
            [
                f"{r['events']:,}",
                f"{r['lake_mb']:,}",
                f"{r['raw_s']:.1f}",
                f"{r['sql_s']:.1f} ({r['sql_s'] / r['raw_s']:.2f}x)",
                f"{r['end_to_end_s']:.1f} ({r['end_to_end_s'] / r['raw_s']:.2f}x)",
                scale,
                f"{r['peak_rss_mb']:,}",
                str(r["cells_differing_from_raw"]),
            ]
        )
    print_table(
        "Scorecards over the same lake, same run; (a) = one raw DuckDB statement from the JSON "
        "files to scorecard_weekly",
        [
            "events",
            "lake MB",
            "(a) raw s",
            "(b) our SQL s (/a)",
            "(c) materialize --all s (/a)",
            "(c) / (c) at 10M",
            "(c) peak RSS MB",
            "cells (a) != (c)",
        ],
        rows,
    )
    print_table(
        "Lake format: the JSON lines as landed, loaded once, against a Parquet compaction first",
        ["events", "JSON -> table s", "JSON -> Parquet s", "Parquet -> table s", "Parquet MB"],
        [
            [
                f"{r['events']:,}",
                f"{r['json_to_table_s']:.1f}",
                f"{r['json_to_parquet_s']:.1f}",
                f"{r['parquet_to_table_s']:.1f}",
                f"{r['parquet_mb']:,.0f} (lake {r['lake_mb']:,} MB)",
            ]
            for r in results
        ],
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
