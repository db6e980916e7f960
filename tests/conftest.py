"""Shared fixtures come from the plugins in tests/support: one real embedded broker per test
session (no Kafka mocks), settings with topics of their own."""

from __future__ import annotations

import os

os.environ.setdefault("TZ", "UTC")

pytest_plugins = ["tests.support.kafka"]


def pytest_terminal_summary(terminalreporter: object) -> None:
    """The fault suite's table (tests/support/faults.py), when fault tests ran."""
    from pathlib import Path

    from tests.support import faults

    if faults.ROWS:
        terminalreporter.write_sep("=", "fault suite")  # type: ignore[attr-defined]
        terminalreporter.write_line(faults.render())  # type: ignore[attr-defined]
        faults.write(Path("var") / "fault-report.json")
