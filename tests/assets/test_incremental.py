"""`materialize --all` is incremental and exact: a grown lake day is loaded alone, and only the
runs and weeks it reaches are redone, yet every table ends equal to a fresh build of the lake."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson

from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from dagster_project.run import materialize
from streams.lake import write_lake
from streams.pricing import PriceTable
from tests.support.scorecard_data import events as scorecard_events
from tests.support.warehouse import table_digests


def _settings(tmp: Path, lake: Path) -> AppSettings:
    return AppSettings(var_dir=tmp, lake_path=lake, bootstrap_servers="127.0.0.1:1")


def test_a_grown_day_redoes_only_what_it_reaches_and_ends_equal_to_a_rebuild(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    prices = PriceTable.load(AppSettings().prices_file)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    events = simulate(SimConfig(runs=2500, seed=21, start=start, days=21), prices)
    write_lake(events, lake)
    inc = _settings(tmp_path / "inc", lake)
    steps: list[str] = []
    assert materialize(inc, None, steps.append).ok
    assert any(s.startswith("weekly scorecards: 3 weeks") for s in steps), steps

    steps.clear()
    assert materialize(inc, None, steps.append).ok  # nothing new: nothing loaded or rebuilt
    assert "raw_events: all 21 days already loaded" in steps
    assert "weekly scorecards: every week is current" in steps

    # The lake grows on 2026-11-17 (week 3): new runs, plus a human review that overrides a run
    # that finished in week 2, which changes week 2's override rate (and so week 3's drift).
    finished = next(
        e for e in events if e["event_type"] == "run_finished" and e["ts"].startswith("2026-11-13")
    )
    late_review = {
        **finished,
        "event_id": "late-review-1",
        "event_type": "human_review",
        "ts": "2026-11-17T09:00:00Z",
        "reviewer_id": "rev-9",
        "decision": "reject",
        "outcome": "overridden",
    }
    for k in ("status", "duration_ms", "quality_score"):
        late_review.pop(k, None)
    more = simulate(
        SimConfig(runs=300, seed=22, start=datetime(2026, 11, 17, tzinfo=UTC), days=1), prices
    )
    write_lake([late_review, *[e for e in more if e["ts"].startswith("2026-11-17")]], lake)
    steps.clear()
    assert materialize(inc, None, steps.append).ok
    assert "raw_events: 1 of 21 days (2026-11-17)" in steps, steps
    assert "weekly scorecards: 2 weeks (2026-11-09 .. 2026-11-16)" in steps, steps

    fresh = _settings(tmp_path / "fresh", lake)
    assert materialize(fresh, None).ok
    got, want = table_digests(inc.duckdb_path), table_digests(fresh.duckdb_path)
    assert got.keys() == want.keys()
    assert {t: got[t] for t in got if got[t] != want[t]} == {}
    with duckdb.connect(str(inc.duckdb_path), read_only=True) as conn:
        (overridden,) = conn.execute(
            "SELECT overridden FROM runs WHERE run_id = ?", [finished["run_id"]]
        ).fetchone()  # type: ignore[misc]
    assert overridden

    # Retention: the oldest day leaves the lake, and the warehouse with it.
    shutil.rmtree(lake / "dt=2026-11-02")
    steps.clear()
    assert materialize(inc, None, steps.append).ok
    assert any("1 gone" in s for s in steps), steps
    again = _settings(tmp_path / "again", lake)
    assert materialize(again, None).ok
    got, want = table_digests(inc.duckdb_path), table_digests(again.duckdb_path)
    assert {t: got[t] for t in got if got[t] != want[t]} == {}
    assert got["events"] != table_digests(fresh.duckdb_path)["events"]


def test_first_arrival_wins_within_a_day_and_across_days(tmp_path: Path) -> None:
    """The earlier-landed file's copy of an id wins within a day; an id already held by an
    earlier day is not taken again from a later one (one batch or two)."""
    first, _ = scorecard_events()
    base = next(e for e in first if e["event_type"] == "model_call")
    day = base["ts"][:10]
    lake = tmp_path / "lake"
    folder = lake / f"dt={day}"
    folder.mkdir(parents=True)
    for name, cost, landed in (("part-b", 2.0, 2_000_000_000), ("part-a", 1.0, 1_000_000_000)):
        (folder / name).write_bytes(orjson.dumps({**base, "cost_usd": cost}) + b"\n")
        os.utime(folder / name, (landed, landed))
    later = f"{day[:8]}{int(day[8:]) + 1:02d}"
    (lake / f"dt={later}").mkdir()
    moved = {**base, "ts": f"{later}{base['ts'][10:]}", "cost_usd": 3.0}
    (lake / f"dt={later}" / "part-c").write_bytes(orjson.dumps(moved) + b"\n")
    s = _settings(tmp_path / "var", lake)
    assert materialize(s, None).ok
    with duckdb.connect(str(s.duckdb_path), read_only=True) as conn:
        rows = conn.execute(
            "SELECT CAST(dt AS VARCHAR), cost_usd, source_file FROM events WHERE event_id = ?",
            [base["event_id"]],
        ).fetchall()
    assert rows == [(day, 1.0, str(folder / "part-a"))]
