"""``agentgauge gate`` on a real DuckDB warehouse built by the Dagster assets: pass, fail (each
check), insufficient data, JSON output, the signed rollback request and the breaker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from alerting.receiver import LocalReceiver
from dagster_project.definitions import ALL_ASSETS
from dagster_project.resources import build_resources
from streams.lake import write_lake
from tests.support.kafka import read_json
from tests.support.scorecard_data import ev

SINCE = "2026-11-01"


def _runs(
    workflow: str,
    prompt: str,
    n: int,
    *,
    failures: int = 0,
    escalations: int = 0,
    low_quality: int = 0,
    violations: int = 0,
    duration_ms: float = 2000.0,
) -> list[dict[str, Any]]:
    """``n`` runs of ``prompt``; the first ``failures`` fail, the next ``escalations`` are
    escalated; the first ``low_quality`` score 0.5 (below the pass mark 0.8), the rest 0.9; the
    first ``violations`` have a fatal policy violation."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        run = f"{workflow}-{prompt}-{i}"
        ts = f"2026-11-10T{i // 60:02d}:{i % 60:02d}:00Z"
        common = {"workflow": workflow, "prompt_version": prompt}
        status = (
            "failure" if i < failures else "escalated" if i < failures + escalations else "success"
        )
        out.append(ev(run, 1, "run_started", ts, **common))
        if i < violations:
            out.append(ev(run, 2, "error", ts, category="policy_violation", fatal=True, **common))
        out.append(
            ev(
                run,
                3,
                "run_finished",
                ts.replace(":00Z", ":30Z"),
                status=status,
                duration_ms=duration_ms,
                quality_score=0.5 if i < low_quality else 0.9,
                **common,
            )
        )
    return out


def _events() -> list[dict[str, Any]]:
    return [
        # a good candidate: the control's rates within 5 pts
        *_runs("wf_good", "p1", 40, failures=4, escalations=2),
        *_runs("wf_good", "p2", 40, failures=4, escalations=3),
        # a bad one: success 15 pts down, escalation 15 pts up, quality 50%, a violation,
        # p95 over the 30 s of refund_approval's override
        *_runs("refund_approval", "p1", 40, failures=4, escalations=2),
        *_runs(
            "refund_approval",
            "p2",
            40,
            failures=4,
            escalations=8,
            low_quality=20,
            violations=1,
            duration_ms=45_000,
        ),
        # too few candidate runs
        *_runs("wf_few", "p1", 40),
        *_runs("wf_few", "p2", 10),
    ]


@pytest.fixture(scope="module")
def var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("gate") / "var"
    s = AppSettings(var_dir=var)
    write_lake(_events(), s.lake_path)
    resources = build_resources(s)  # the alerts source is not read: `alerts` is not selected
    tags = {
        "dagster/asset_partition_range_start": "2026-11-10",
        "dagster/asset_partition_range_end": "2026-11-10",
    }
    assert dg.materialize(ALL_ASSETS, selection=["raw_events"], resources=resources, tags=tags)
    assert dg.materialize(ALL_ASSETS, selection=["runs"], resources=resources).success
    return var


def _gate(var: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        app,
        ["gate", "--since", SINCE, *args],
        env={"AGENTGAUGE_VAR_DIR": str(var), **(env or {})},
    )


def _json(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_candidate_within_the_thresholds_passes(var: Path) -> None:
    result = _gate(var, "--workflow", "wf_good", "--candidate", "p2", "--format", "json")
    assert result.exit_code == 0, result.output
    out = _json(result)
    assert out["result"] == "pass"
    assert (out["candidate_runs"], out["control_runs"]) == (40, 40)
    checks = {c["name"]: c for c in out["checks"]}
    assert set(checks) == {
        "escalation_rate",
        "success_rate",
        "p95_duration_ms",
        "critical_policy_violations",
        "quality_pass_rate",
    }
    assert all(set(c) >= {"name", "observed", "threshold", "passed"} for c in out["checks"])
    # control escalation 2/40 = 5.0%: the candidate may reach 10.0%; it has 3/40
    assert checks["escalation_rate"]["observed"] == pytest.approx(0.075)
    assert checks["escalation_rate"]["threshold"] == pytest.approx(0.10)
    assert checks["success_rate"]["observed"] == pytest.approx(33 / 40)
    assert checks["success_rate"]["threshold"] == pytest.approx(34 / 40 - 0.05)
    assert checks["quality_pass_rate"]["observed"] == 1.0
    assert out["gates_version"] == "2026-12-01.1"


def test_a_bad_candidate_fails_every_check_it_breaks(var: Path) -> None:
    result = _gate(var, "--workflow", "refund_approval", "--candidate", "p2", "--format", "json")
    assert result.exit_code == 1, result.output
    out = _json(result)
    assert out["result"] == "fail"
    failed = {c["name"]: c for c in out["checks"] if c["passed"] is False}
    assert set(failed) == {
        "escalation_rate",
        "success_rate",
        "p95_duration_ms",
        "critical_policy_violations",
        "quality_pass_rate",
    }
    assert failed["p95_duration_ms"]["threshold"] == 30_000  # the workflow's override
    assert failed["critical_policy_violations"]["observed"] == 1
    assert failed["quality_pass_rate"]["observed"] == 0.5
    table = _gate(var, "--workflow", "refund_approval", "--candidate", "p2")
    assert table.exit_code == 1 and "FAIL" in table.stdout and "quality_pass_rate" in table.stdout


def test_too_few_runs_is_insufficient_data_with_the_minimum_stated(var: Path) -> None:
    result = _gate(var, "--workflow", "wf_few", "--candidate", "p2", "--format", "json")
    assert result.exit_code == 3, result.output
    out = _json(result)
    assert out["result"] == "insufficient_data" and out["min_runs"] == 30
    assert "at least 30 finished runs on each side" in out["message"]
    assert "candidate 'p2' has 10" in out["message"]
    unknown = _gate(var, "--workflow", "wf_few", "--candidate", "p9")
    assert unknown.exit_code == 3
    assert "p1 (40)" in unknown.stdout and "p2 (10)" in unknown.stdout  # the versions it knows


def test_bad_input_names_what_was_wrong(var: Path, tmp_path: Path) -> None:
    bad_day = _gate(var, "--workflow", "wf_good", "--candidate", "p2", "--since", "last week")
    assert bad_day.exit_code == 2 and "--since 'last week'" in bad_day.output
    gates = tmp_path / "gates.yaml"
    gates.write_text("version: x\ndefaults: {success_max_drop: 2}\n")
    bad = _gate(
        var, "--workflow", "wf_good", "--candidate", "p2", env={"AGENTGAUGE_GATES_FILE": str(gates)}
    )
    assert bad.exit_code == 2 and "defaults.success_max_drop" in bad.output


def test_a_failed_gate_posts_a_signed_rollback_request(var: Path) -> None:
    with LocalReceiver(secret="s3cret") as receiver:
        args = ["--workflow", "refund_approval", "--candidate", "p2", "--format", "json"]
        hook = ["--on-fail-webhook", receiver.url + "/rollback"]
        no_secret = _gate(var, *args, *hook)
        assert no_secret.exit_code == 2 and "AGENTGAUGE_GATE_SECRET" in no_secret.output
        result = _gate(var, *args, *hook, env={"AGENTGAUGE_GATE_SECRET": "s3cret"})
        assert result.exit_code == 1, result.output
        (got,) = receiver.received
        assert got.verified is True  # HMAC over the body with the shared secret
        assert got.body["type"] == "rollback_request" and got.body["prompt_version"] == "p2"
        assert got.body["verdict"]["result"] == "fail"
        again = _gate(var, *args, *hook, env={"AGENTGAUGE_GATE_SECRET": "s3cret"})
        assert again.exit_code == 1
        assert receiver.duplicates == 1  # the same verdict, the same idempotency key
        passing = _gate(var, "--workflow", "wf_good", "--candidate", "p2", *hook)
        assert passing.exit_code == 0 and len(receiver.received) == 1  # no request on a pass


def test_a_failed_gate_opens_a_prompt_version_breaker(var: Path, settings: AppSettings) -> None:
    env = {
        "AGENTGAUGE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "AGENTGAUGE_TOPIC_CONTROLS": settings.topic_controls,
        "AGENTGAUGE_TOPIC_ALERTS": settings.topic_alerts,
    }
    args = ["--workflow", "refund_approval", "--candidate", "p2", "--on-fail-breaker"]
    result = _gate(var, *args, env=env)
    assert result.exit_code == 1, result.output
    (control,) = read_json(settings, settings.topic_controls)
    assert (control["action"], control["scope"], control["key"]) == (
        "opened",
        "prompt_version",
        "p2",
    )
    assert "release gate failed for refund_approval" in control["reason"]
    (alert,) = read_json(settings, settings.topic_alerts)
    assert alert["rule"] == "breaker_opened" and alert["actor"] == "agentgauge gate"
    assert orjson.dumps(alert)  # a plain JSON record the router sends
