"""Dagster assets on real DuckDB files through Dagster's own materialize API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import orjson
import pytest

from assets.queries.alert_actions import record_action
from assets.report.asset import Reports
from assets.resources import AlertsSource, GatesFile, Lake, Warehouse
from dagster_project.definitions import ALL_ASSETS, WEEKLY
from dagster_project.report_delivery import ReportDestinations
from streams.kafka import Connection
from streams.lake import write_lake
from tests.support.scorecard_data import ALERTS, ev, events
from tests.support.warehouse import table_digests


def _resources(tmp: Path) -> dict[str, Any]:
    alerts_file = tmp / "alerts.jsonl"
    alerts_file.write_bytes(b"\n".join(orjson.dumps(a) for a in ALERTS))
    return {
        "warehouse": Warehouse(database=str(tmp / "wh.duckdb")),
        "lake": Lake(path=str(tmp / "lake")),
        "alerts_source": AlertsSource(Connection(), "agent-alerts", file=alerts_file),
        "gates": GatesFile(),
        "reports": Reports(path=str(tmp / "reports")),
        "report_destinations": ReportDestinations(
            alerting_file=str(tmp / "alerting.yaml"), alerts_dir=str(tmp / "alerts")
        ),
    }


def _materialize_all(
    res: dict[str, Any],
    days: tuple[str, str],
    weeks: tuple[str, str],
    before_weekly: Callable[[], None] | None = None,
) -> None:
    steps: list[tuple[list[str] | dg.AssetSelection, tuple[str, str] | None]] = [
        (["raw_events"], days),
        (["runs", "alerts"], None),
        (WEEKLY, weeks),
    ]
    for selection, span in steps:
        if selection is WEEKLY and before_weekly is not None:
            before_weekly()
        tags: dict[str, str] = {}
        if span is not None:
            tags = {
                "dagster/asset_partition_range_start": span[0],
                "dagster/asset_partition_range_end": span[1],
            }
        result = dg.materialize(ALL_ASSETS, selection=selection, resources=res, tags=tags)
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())


def _rows(db: Path, query: str, *params: Any) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        cur = conn.execute(query, list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("scorecard")
    first, dup = events()
    write_lake(first, tmp / "lake")
    write_lake(dup, tmp / "lake")
    res = _resources(tmp)

    def on_call() -> None:  # detected 09:00:11: acked 12 min later, resolved after 30 min
        for action, minute in (("ack", 12), ("resolve", 30)):
            at = datetime(2026, 11, 10, 9, minute, 11, tzinfo=UTC)
            record_action(tmp / "wh.duckdb", "a" * 8, action, "dana", at, None, list)

    weeks = ("2026-11-09", "2026-11-16")
    _materialize_all(res, ("2026-11-09", "2026-11-16"), weeks, before_weekly=on_call)
    return {"tmp": tmp, "db": tmp / "wh.duckdb", "res": res}


def test_events_are_loaded_once(built: dict[str, Any]) -> None:
    first, _ = events()
    rows = _rows(built["db"], "SELECT event_id, count(*) AS n FROM events GROUP BY 1")
    assert sorted(r["event_id"] for r in rows) == sorted(e["event_id"] for e in first)
    assert {r["n"] for r in rows} == {1}


def test_runs_definitions(built: dict[str, Any]) -> None:
    runs = {r["run_id"]: r for r in _rows(built["db"], "SELECT * FROM runs")}
    assert set(runs) == {"r1", "r2", "r3", "r4", "r5", "r7"}  # r6 is open
    assert runs["r7"]["status"] == "success"  # the earliest run_finished wins
    assert str(runs["r3"]["week_start"]) == "2026-11-16"  # counted in the week it finished
    assert runs["r3"]["duration_ms"] == 90_000  # finished - earliest run_started
    assert runs["r3"]["cost_usd"] == pytest.approx(0.30)  # its cost, whatever the week
    assert runs["r2"]["duration_ms"] is None  # no duration and no run_started
    assert runs["r1"]["cost_usd"] == pytest.approx(0.15)  # the duplicate counted once
    assert runs["r7"]["cohort"] == "canary"


def test_week_one_segment_row_by_hand(built: dict[str, Any]) -> None:
    (row,) = _rows(
        built["db"],
        "SELECT * FROM scorecard_weekly WHERE week_start = DATE '2026-11-09' AND segment = 'seg'",
    )
    # runs r1 (success), r2 (failure), r4 (escalated, overridden), r7 (success)
    assert row["runs"] == 4
    assert row["success_rate"] == 0.5 and row["failure_rate"] == 0.25
    assert row["escalation_rate"] == 0.25 and row["override_rate"] == 0.25
    assert row["retry_rate"] == 0.25 and row["retries_per_run"] == 0.25
    # durations 1000, 2000, 5000 (r2 has none): p50 2000; p95 = 2000 + 0.9 * 3000
    assert row["p50_duration_ms"] == 2000 and row["p95_duration_ms"] == pytest.approx(4700)
    assert row["cost_usd"] == pytest.approx(0.55)  # 0.15 + 0.40
    assert row["cost_per_run"] == pytest.approx(0.1375)
    assert row["cost_per_success"] == pytest.approx(0.275)
    assert row["retry_cost_usd"] == pytest.approx(0.20)
    assert row["tool_calls_per_run"] == 0.25
    # p2 first appeared on Sunday, before the week's end: it is the latest; no W1 run used it
    assert row["latest_prompt_share"] == 0.0
    assert row["latest_policy_share"] == 1.0
    assert row["top_failure_reason"] == "timeout"  # 2 timeout vs 2 tool_error: alphabetical
    # scores 0.9 (r1), 0.5 (r4), 0.85 (r7) against the pass mark 0.8; r2 has none
    assert row["quality_scored_runs"] == 3
    assert row["quality_pass_rate"] == pytest.approx(2 / 3)
    assert row["policy_violations"] == 1 and row["critical_policy_violations"] == 1  # r2's


def test_quality_and_policy_violations_roll_up(built: dict[str, Any]) -> None:
    (s2,) = _rows(
        built["db"],
        "SELECT * FROM scorecard_weekly WHERE week_start = DATE '2026-11-09' AND segment = 's2'",
    )
    assert s2["policy_violations"] == 1 and s2["critical_policy_violations"] == 0  # not fatal
    assert s2["quality_pass_rate"] is None and s2["quality_scored_runs"] == 0
    (wf,) = _rows(
        built["db"],
        "SELECT * FROM scorecard_weekly_rollup WHERE week_start = DATE '2026-11-09'"
        " AND level = 'workflow'",
    )
    assert wf["policy_violations"] == 2 and wf["critical_policy_violations"] == 1
    assert wf["quality_pass_rate"] == pytest.approx(2 / 3)


def test_rollups_and_week_two(built: dict[str, Any]) -> None:
    db = built["db"]
    roll = {
        (str(r["week_start"]), r["workflow"]): r
        for r in _rows(db, "SELECT * FROM scorecard_weekly_rollup")
    }
    w1 = roll[("2026-11-09", "wf")]
    assert w1["segment"] == "ALL" and w1["runs"] == 5
    assert w1["success_rate"] == pytest.approx(0.6) and w1["cost_usd"] == pytest.approx(1.05)
    assert roll[("2026-11-09", "ALL")]["runs"] == 5
    (w2,) = _rows(db, "SELECT * FROM scorecard_weekly WHERE week_start = DATE '2026-11-16'")
    assert w2["runs"] == 1 and w2["latest_prompt_share"] == 1.0
    assert w2["top_failure_reason"] is None and w2["cost_per_success"] == pytest.approx(0.30)


def test_drift_gate_failures_alerts(built: dict[str, Any]) -> None:
    db = built["db"]
    (d,) = _rows(db, "SELECT * FROM drift_weekly WHERE week_start = DATE '2026-11-16'")
    assert d["d_success_rate"] == pytest.approx(0.5) and d["drift_flag"] is True
    assert d["cost_psi"] is None  # fewer than 20 runs
    (g,) = _rows(db, "SELECT * FROM cohort_gate_weekly WHERE week_start = DATE '2026-11-09'")
    assert (g["canary_runs"], g["control_runs"]) == (1, 4)
    assert g["canary_success_rate"] == 1.0 and g["control_success_rate"] == 0.5
    assert g["gate_pass"] is True
    reasons = _rows(
        db, "SELECT category, errors FROM failure_reasons_weekly WHERE segment = 'seg' ORDER BY 1"
    )
    assert reasons == [
        {"category": "policy_violation", "errors": 1},
        {"category": "timeout", "errors": 2},
        {"category": "tool_error", "errors": 2},
    ]
    (a,) = _rows(db, "SELECT * FROM alerts_weekly")
    assert a["rule"] == "run_cost_ceiling" and a["alerts"] == 1 and a["runs"] == 5
    assert a["incidents_per_1000_runs"] == pytest.approx(200.0)
    assert a["acknowledged"] == 1 and a["median_minutes_to_ack"] == pytest.approx(12.0)
    assert a["resolved"] == 1 and a["median_minutes_to_resolve"] == pytest.approx(30.0)


def test_rematerializing_is_idempotent(built: dict[str, Any]) -> None:
    """Re-materializing a day, then runs, then a week, leaves every table byte-identical."""
    before = table_digests(built["db"])
    assert {"events", "runs", "scorecard_weekly", "drift_weekly", "alerts_weekly"} <= set(before)
    res = built["res"]
    for selection, key in ((["raw_events"], "2026-11-09"), (WEEKLY, "2026-11-09")):
        result = dg.materialize(ALL_ASSETS, selection=selection, resources=res, partition_key=key)
        assert result.success
        if selection == ["raw_events"]:
            assert dg.materialize(ALL_ASSETS, selection=["runs", "alerts"], resources=res).success
    assert table_digests(built["db"]) == before
    _materialize_all(res, ("2026-11-09", "2026-11-16"), ("2026-11-09", "2026-11-16"))
    assert table_digests(built["db"]) == before


def test_blocking_check_fails_on_bad_rows(tmp_path: Path) -> None:
    """A negative cost that reached the lake fails the blocking check, with samples."""
    first, _ = events()
    lake = tmp_path / "lake" / "dt=2026-11-09"
    lake.mkdir(parents=True)
    bad = dict(
        first[0],
        event_id="bad",
        ts="2026-11-09T12:00:00Z",
        event_type="model_call",
        model="m",
        input_tokens=-5,
    )
    (lake / "part-x").write_bytes(orjson.dumps(bad) + b"\n")
    res = _resources(tmp_path)
    result = dg.materialize(
        ALL_ASSETS,
        selection=["raw_events"],
        resources=res,
        partition_key="2026-11-09",
        raise_on_error=False,
    )
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    check = checks["raw_events_contract"]
    assert not check.passed
    failed = check.metadata["failed_expectations"].value
    assert any(f["kwargs"].get("column") == "input_tokens" for f in failed)  # type: ignore[union-attr]
    assert "sample_rows" in check.metadata


def test_a_lake_line_that_does_not_load_fails_a_blocking_check(tmp_path: Path) -> None:
    """Nothing valid is dropped between the lake and the warehouse in silence: an unreadable
    line is counted, named by file, and fails the blocking check (the scorecards wait)."""
    day = tmp_path / "lake" / "dt=2026-11-09"
    first, _ = events()
    write_lake([e for e in first if e["ts"].startswith("2026-11-09")], tmp_path / "lake")
    day.mkdir(parents=True, exist_ok=True)
    (day / "part-bad").write_bytes(b'{"event_id": "torn", "ts": "2026-11-09T10:00:00Z", "run_\n')
    result = dg.materialize(
        ALL_ASSETS,
        selection=["raw_events"],
        resources=_resources(tmp_path),
        partition_key="2026-11-09",
        raise_on_error=False,
    )
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    loaded = checks["raw_events_every_line_loaded"]
    assert not loaded.passed
    assert loaded.metadata["rejected_rows"].value == 1
    assert list(loaded.metadata["files_with_rejected_rows"].value) == [str(day / "part-bad")]  # type: ignore[arg-type]


def test_a_halted_run_is_neither_success_nor_failure(tmp_path: Path) -> None:
    """A run stopped by its budget or a breaker (``run_finished.status = halted``) counts in
    ``runs`` and in neither ``success_rate`` nor ``failure_rate``; its cost still counts."""
    halted = [
        ev("h1", 1, "run_started", "2026-11-10T10:00:00Z", segment="h"),
        ev("h1", 2, "model_call", "2026-11-10T10:00:01Z", segment="h", model="o3", cost_usd=0.3),
        ev("h1", 3, "run_finished", "2026-11-10T10:00:02Z", segment="h", status="success"),
        ev("h2", 1, "run_started", "2026-11-10T11:00:00Z", segment="h", budget_usd=0.5),
        ev("h2", 2, "model_call", "2026-11-10T11:00:01Z", segment="h", model="o3", cost_usd=0.6),
        ev("h2", 3, "error", "2026-11-10T11:00:02Z", segment="h", category="budget_exceeded"),
        ev(
            "h2",
            4,
            "run_finished",
            "2026-11-10T11:00:03Z",
            segment="h",
            status="halted",
            reason="run h2 exceeded budget_usd 0.5 (0.6)",
        ),
    ]
    write_lake(halted, tmp_path / "lake")
    res = _resources(tmp_path)
    _materialize_all(res, ("2026-11-10", "2026-11-10"), ("2026-11-09", "2026-11-09"))
    (row,) = _rows(
        tmp_path / "wh.duckdb",
        "SELECT * FROM scorecard_weekly WHERE week_start = DATE '2026-11-09' AND segment = 'h'",
    )
    assert row["runs"] == 2
    assert row["success_rate"] == 0.5 and row["failure_rate"] == 0.0
    assert row["cost_usd"] == pytest.approx(0.9) and row["cost_per_success"] == pytest.approx(0.9)
