"""Shared fixtures come from the plugins in tests/support: one real embedded broker per test
session (no Kafka mocks), settings with topics of their own."""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("TZ", "UTC")

pytest_plugins = ["tests.support.kafka"]


_STARTED = time.time()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """The fault suite runs first (in its own order), in a test process nothing else has run in
    yet: its timing bounds (R3: emit() within emit_block_ms + 1 ms) then measure the SDK, not
    what earlier tests left in the process. After the rest of the suite, the process's heap made
    collector runs of up to 0.7 s and emit() took 15-20 ms in three CI runs; alone, 0.8-1.9 ms."""
    items.sort(key=lambda item: item.get_closest_marker("fault") is None)


def pytest_terminal_summary(terminalreporter: object) -> None:
    """The fault suite's table (tests/support/faults.py), when fault tests ran, and the
    screenshots browser tests wrote under var/test-artifacts."""
    from pathlib import Path

    from tests.support import faults

    shots = sorted(
        p for p in Path("var", "test-artifacts").glob("*.png") if p.stat().st_mtime >= _STARTED
    )
    if shots:
        terminalreporter.write_sep("=", "screenshots")  # type: ignore[attr-defined]
        for shot in shots:
            terminalreporter.write_line(str(shot.resolve()))  # type: ignore[attr-defined]

    if faults.ROWS:
        terminalreporter.write_sep("=", "fault suite")  # type: ignore[attr-defined]
        terminalreporter.write_line(faults.render())  # type: ignore[attr-defined]
        faults.write(Path("var") / "fault-report.json")
