"""``alerts ack`` / ``resolve``: recorded in a real DuckDB file; unknown alerts are looked up
on the real broker's alerts topic."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from tests.support.alerts import alert, produce_alerts


@pytest.fixture
def env(settings: AppSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "wh.duckdb"
    monkeypatch.setenv("AGENTGAUGE_BOOTSTRAP_SERVERS", settings.bootstrap_servers)
    monkeypatch.setenv("AGENTGAUGE_TOPIC_ALERTS", settings.topic_alerts)
    monkeypatch.setenv("AGENTGAUGE_DUCKDB_PATH", str(db))
    return db


def test_ack_then_resolve(settings: AppSettings, env: Path) -> None:
    a, other = alert(1), alert(2)
    produce_alerts(settings, [a, other])
    cli = CliRunner()

    out = cli.invoke(app, ["alerts", "ack", a["alert_id"][:8], "--by", "dana"])
    assert out.exit_code == 0, out.output
    assert f"{a['alert_id']} run_cost_ceiling (critical) on refund_approval run-1" in out.output
    assert "acknowledged by dana" in out.output

    again = cli.invoke(app, ["alerts", "ack", a["alert_id"], "--by", "lee"])
    assert again.exit_code == 0 and "already acknowledged by dana" in again.output

    done = cli.invoke(app, ["alerts", "resolve", a["alert_id"], "--by", "lee", "--note", "killed"])
    assert done.exit_code == 0 and "resolved by lee" in done.output

    with duckdb.connect(str(env), read_only=True) as conn:
        rows = conn.execute(
            "SELECT alert_id, action, actor, note FROM alert_actions ORDER BY acted_at"
        ).fetchall()
        stored = conn.execute("SELECT count(*) FROM alerts").fetchone()
    assert rows == [
        (a["alert_id"], "ack", "dana", None),
        (a["alert_id"], "resolve", "lee", "killed"),
    ]
    assert stored == (2,)  # looked up on the topic and kept


@pytest.mark.parametrize(
    ("ident", "message"),
    [("f" * 32, "no alert ffff"), ("abc", "at least its first 6"), ("not-an-id!", "32-hex")],
)
def test_bad_ids_are_named(settings: AppSettings, env: Path, ident: str, message: str) -> None:
    out = CliRunner().invoke(app, ["alerts", "ack", ident])
    assert out.exit_code == 1
    assert message in out.output
