"""The simulator: deterministic, valid, and carrying the incidents it was asked for."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from agentgauge.simulate import INCIDENTS, SimConfig, incident_windows, simulate
from streams.contract import EVENT_TYPES, validate_event
from streams.pricing import PriceTable

PRICES = PriceTable.load(AppSettings().prices_file)
START = datetime(2026, 11, 2, tzinfo=UTC)


def test_deterministic_and_valid() -> None:
    cfg = SimConfig(runs=400, seed=3, start=START, incidents=INCIDENTS)
    a, b = simulate(cfg, PRICES), simulate(cfg, PRICES)
    assert a == b
    assert simulate(SimConfig(runs=400, seed=4, start=START), PRICES) != a
    for e in a:
        validate_event(e)
    assert set(Counter(e["event_type"] for e in a)) == set(EVENT_TYPES)
    assert [e["ts"] for e in a] == sorted(e["ts"] for e in a)
    assert len({e["run_id"] for e in a}) == 400 + 3 + 3 + 3 * 60  # plus dedicated incident runs


def test_taxonomy_rollout_and_incidents() -> None:
    cfg = SimConfig(runs=3000, seed=1, start=START, incidents=INCIDENTS)
    events = simulate(cfg, PRICES)
    cats = {e["category"] for e in events if e["event_type"] == "error"}
    assert cats == {
        "tool_error",
        "policy_violation",
        "context_failure",
        "model_failure",
        "timeout",
        "budget_exceeded",
        "other",
    }
    reasons = {e["reason"] for e in events if e["event_type"] == "retry"}
    assert len(reasons) == 8
    outcomes = Counter(e["outcome"] for e in events if e["event_type"] == "human_review")
    assert outcomes["overridden"] > 0
    # The new prompt reaches the canary cohort first.
    v2 = [e for e in events if e["prompt_version"].endswith("-v2")]
    first_v2 = min(e["ts"] for e in v2)
    early = [e for e in v2 if e["ts"] < min(e["ts"] for e in v2 if e["cohort"] == "control")]
    assert early and all(e["cohort"] == "canary" for e in early) and first_v2 == early[0]["ts"]
    # Injected incidents are present where their windows say.
    windows = incident_windows(cfg).windows
    assert set(windows) == set(INCIDENTS)
    runaway_runs = {e["run_id"] for e in events if e.get("category") == "budget_exceeded"}
    assert runaway_runs
    assert len(runaway_runs) == 3
    loop = Counter(
        (e["run_id"], e["tool"], e.get("args_hash"))
        for e in events
        if e["event_type"] == "tool_call"
    )
    assert sorted(loop.values())[-3:] == [30, 30, 30]


def test_cli_out_file(tmp_path: Path) -> None:
    out = tmp_path / "sim.jsonl"
    r = CliRunner().invoke(
        app,
        [
            "simulate",
            "--runs",
            "50",
            "--seed",
            "9",
            "--out",
            str(out),
            "--start",
            "2026-11-02",
            "--incidents",
            "tool_loop",
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(out.read_text().splitlines()) > 50
    bad = CliRunner().invoke(app, ["simulate", "--incidents", "meteor"])
    assert bad.exit_code != 0 and "meteor" in bad.output
