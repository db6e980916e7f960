"""Leadership's reads never fail because a write is in progress (docs/lake.md, "Readers").

A real `agentgauge materialize --all` runs in its own process over a grown lake while this one
reads the published warehouse the way users do (`scorecard`, `report`, `gate`, a plain
read-only DuckDB client), again and again, until the writer is done.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from agentgauge.settings import AppSettings
from agentgauge.simulate import SimConfig, simulate
from assets.snapshot import work_path
from streams.lake import write_lake
from streams.pricing import PriceTable


def _write_locked(path: Path) -> bool:
    """Whether another process holds DuckDB's write lock on ``path`` (asked with F_GETLK, which
    takes no lock, so the probe itself never stands in the writer's way)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        probe = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        l_type = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, probe))[0]
        return bool(l_type != fcntl.F_UNLCK)
    finally:
        os.close(fd)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTGAUGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("AGENTGAUGE_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("AGENTGAUGE_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # no broker: alerts skipped
    return tmp_path


def test_readers_see_the_last_published_state_while_a_materialize_writes(cli_env: Path) -> None:
    s = AppSettings()
    prices = PriceTable.load(s.prices_file)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    write_lake(simulate(SimConfig(runs=6000, seed=11, start=start, days=14), prices), s.lake_path)
    runner = CliRunner()
    first = runner.invoke(app, ["materialize", "--all"])
    assert first.exit_code == 0, first.output
    published, work = s.duckdb_path, work_path(s.duckdb_path)
    assert published.exists() and work.exists()

    def events_loaded() -> int:
        with duckdb.connect(str(published), read_only=True) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])  # type: ignore[index]

    before = events_loaded()
    # The lake grows by a day; a second materialize loads it while we read.
    more = SimConfig(runs=30_000, seed=12, start=datetime(2026, 11, 16, tzinfo=UTC), days=1)
    write_lake(simulate(more, prices), s.lake_path)
    writer = subprocess.Popen(
        [str(Path(sys.executable).parent / "agentgauge"), "materialize", "--all"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    reads = while_locked = 0
    failures: list[str] = []
    deadline = time.monotonic() + 600
    try:
        while writer.poll() is None and time.monotonic() < deadline:
            while_locked += _write_locked(work)
            try:
                n = events_loaded()  # a plain read-only DuckDB client
                assert n >= before
            except duckdb.Error as e:
                failures.append(f"duckdb -readonly: {e}")
            reads += 1
            for args in (
                ["scorecard", "--week", "2026-W46", "--format", "json"],
                ["report", "--week", "2026-W46", "--out", str(cli_env / "r.html")],
                [
                    "gate",
                    "--workflow",
                    "refund_approval",
                    "--candidate",
                    "refund_approval-v2",
                    "--format",
                    "json",
                ],
            ):
                while_locked += _write_locked(work)
                r = runner.invoke(app, args)
                if args[0] == "gate":
                    ok = r.exit_code in (0, 1, 3) and "result" in json.loads(r.output)
                else:
                    ok = r.exit_code == 0
                if not ok:
                    failures.append(f"{args[0]}: exit {r.exit_code}: {r.output[-400:]}")
                reads += 1
    finally:
        if writer.poll() is None:
            writer.kill()
        out = writer.communicate()[0].decode(errors="replace")
    assert writer.returncode == 0, out
    assert not failures, failures[:3]
    # Reads began while the writer held its lock (today's `Could not set lock on file`).
    assert while_locked >= 3, (reads, while_locked)
    assert events_loaded() > before  # and the writer's work is published when it ends
