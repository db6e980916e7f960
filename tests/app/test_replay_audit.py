"""Replay and audit of a simulated run whose timeline is known, from a real lake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from assets.alerts import store_alerts
from streams.lake import write_lake
from streams.pricing import PriceTable


@pytest.fixture
def lake_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict], str]:
    prices = PriceTable.load(AppSettings().prices_file)
    events = simulate(
        SimConfig(
            runs=60,
            seed=4,
            start=datetime(2026, 11, 16, tzinfo=UTC),
            days=1,
            incidents=("tool_loop",),
        ),
        prices,
    )
    write_lake(events, tmp_path / "lake")
    write_lake(events[:40], tmp_path / "lake")  # landed twice: replay must not double them
    monkeypatch.setenv("AGENTGAUGE_LAKE_PATH", str(tmp_path / "lake"))
    monkeypatch.setenv("AGENTGAUGE_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    loop_run = next(
        e["run_id"]
        for e in events
        if e.get("tool")
        and events.count(e) == 1
        and sum(1 for x in events if x["run_id"] == e["run_id"] and x["event_type"] == "tool_call")
        == 30
    )
    return [e for e in events if e["run_id"] == loop_run], loop_run


def test_replay_json_timeline(lake_run: tuple[list[dict], str]) -> None:
    expected, run_id = lake_run
    out = CliRunner().invoke(app, ["replay", run_id, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    events = data["events"]
    assert [e["event_id"] for e in events] == [e["event_id"] for e in expected]
    assert events[0]["event_type"] == "run_started" and events[-1]["event_type"] == "run_finished"
    assert events[0]["t_ms"] == 0 and all(b["t_ms"] >= a["t_ms"] for a, b in pairwise(events))
    total = sum(e.get("cost_usd", 0.0) for e in expected)
    assert events[-1]["cumulative_cost_usd"] == pytest.approx(total)
    assert data["ceiling_usd"] in (2.0, 0.5, 1.0)  # refund_approval: its budget or workflow ceiling
    by_trace = CliRunner().invoke(app, ["replay", expected[0]["trace_id"], "--format", "json"])
    assert len(json.loads(by_trace.output)["events"]) == len(expected)
    table = CliRunner().invoke(app, ["replay", run_id], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "tool_call" in table.output and "of ceiling" in table.output


def test_audit_record(lake_run: tuple[list[dict], str]) -> None:
    expected, run_id = lake_run
    out = CliRunner().invoke(app, ["audit", run_id])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output)
    assert rec["run_ids"] == [run_id]
    assert rec["prompt_versions"] == sorted({e["prompt_version"] for e in expected})
    assert rec["policy_versions"] == sorted({e["policy_version"] for e in expected})
    assert len(rec["tool_calls"]) == 30
    assert {t["args_hash"] for t in rec["tool_calls"]} == {
        e["args_hash"] for e in expected if e["event_type"] == "tool_call"
    }
    assert rec["final_status"] == next(
        e["status"] for e in expected if e["event_type"] == "run_finished"
    )
    assert rec["event_ids"] == [e["event_id"] for e in expected]
    assert rec["breakers"] == []  # no warehouse in this fixture


def test_audit_shows_the_breakers_that_touched_the_run(
    lake_run: tuple[list[dict], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, run_id = lake_run
    first, last = expected[0]["ts"], expected[-1]["ts"]

    def breaker(rule: str, scope: str, key: str, at: str, until: str | None) -> dict:
        return {
            "alert_id": f"{rule}-{scope}-{key}-{at}",
            "rule": rule,
            "severity": "warning",
            "window_start": at,
            "window_end": until,
            "detected_at": at,
            "scope": scope,
            "scope_key": key,
            "reason": "test",
            "actor": "dana",
        }

    customer = expected[0]["customer_id"]
    records = [
        breaker("breaker_opened", "customer", customer, first, last),  # during the run
        breaker("breaker_opened", "run", run_id, last, None),  # at its last event
        breaker(
            "breaker_opened", "customer", customer, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
        ),
        breaker("breaker_opened", "customer", "someone-else", first, None),
    ]
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as conn:
        store_alerts(conn, records)
    monkeypatch.setenv("AGENTGAUGE_DUCKDB_PATH", str(db))
    out = CliRunner().invoke(app, ["audit", run_id])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)["breakers"]
    assert [(b["scope"], b["scope_key"], b["actor"]) for b in got] == [
        ("customer", customer, "dana"),
        ("run", run_id, "dana"),
    ]


def test_unknown_id_is_a_clear_error(lake_run: tuple[list[dict], str]) -> None:
    out = CliRunner().invoke(app, ["replay", "no-such-run"])
    assert out.exit_code == 1 and "no events with run_id or trace_id 'no-such-run'" in out.output


def test_lake_export(lake_run: tuple[list[dict], str], tmp_path: Path) -> None:
    """The export holds each landed event once, with its fields as landed."""
    expected, run_id = lake_run
    cli = CliRunner()
    for name in ("events.parquet", "events.csv"):
        out = tmp_path / "export" / name
        res = cli.invoke(
            app,
            ["lake", "export", "--since", "2026-11-16", "--until", "2026-11-17", "--out", str(out)],
        )
        assert res.exit_code == 0, res.output
        reader = "read_parquet" if name.endswith("parquet") else "read_csv"
        with duckdb.connect() as conn:
            total, unique = conn.execute(
                f"SELECT count(*), count(DISTINCT event_id) FROM {reader}(?)", [str(out)]
            ).fetchone()
            run = conn.execute(
                f"SELECT event_id FROM {reader}(?) WHERE run_id = ? ORDER BY ts, event_id",
                [str(out), run_id],
            ).fetchall()
        assert total == unique and "events from" in res.output and f"{total} events" in res.output
        assert sorted(r[0] for r in run) == sorted(e["event_id"] for e in expected)
    nothing = cli.invoke(
        app, ["lake", "export", "--since", "2025-01-01", "--until", "2025-01-02", "--out", str(out)]
    )
    assert nothing.exit_code == 1 and "no committed lake files" in nothing.output
    bad = cli.invoke(app, ["lake", "export", "--since", "16/11", "--until", "x", "--out", str(out)])
    assert bad.exit_code == 1 and "--since '16/11': expected a date" in bad.output
