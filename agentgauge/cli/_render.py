"""Shared CLI plumbing: settings, console, output formats, progress bars, the alert line."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from agentgauge.settings import AppSettings, load_settings
from streams.alert_format import evidence, observed_vs_threshold

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def settings() -> AppSettings:
    return load_settings()


def count_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def bytes_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


_SEVERITY = {"critical": "bold red", "warning": "yellow"}


def alert_line(alert: dict[str, Any]) -> Text:
    rule = str(alert.get("rule", "?"))
    severity = str(alert.get("severity", "?"))
    where = alert.get("workflow") or "-"
    if alert.get("customer_id"):
        where += f" / {alert['customer_id']} ({alert.get('segment', '-')})"
    elif alert.get("level") == "segment":
        where += f" / segment {alert.get('segment')}"
    scope = alert.get("run_id") or alert.get("window_start") or ""
    text = Text()
    text.append(f"{str(alert.get('detected_at', ''))[11:19]} ")
    text.append(f"{severity.upper():8}", style=_SEVERITY.get(severity, ""))
    text.append(f" {rule:23}", style="bold")
    text.append(f" {where}  {scope}  ")
    text.append(observed_vs_threshold(alert))
    if (line := evidence(alert)) is not None:
        text.append(f"  ({line})", style="dim")
    if alert.get("trace_id"):
        text.append(f"  trace {alert['trace_id']}", style="dim")
    text.append(f"  {alert.get('runbook', '')}", style="cyan")
    return text
