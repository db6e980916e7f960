"""One readable, coloured line per alert (demo, ``alerts tail``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

_SEVERITY = {"critical": "bold red", "warning": "yellow"}
_USD_RULES = {"run_cost_ceiling", "customer_spend_ceiling", "cost_rate_spike"}


def format_value(rule: str, value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if rule in _USD_RULES:
        return f"${value:,.2f}"
    if rule == "error_rate_spike":
        return f"{value:.1%}"
    if rule == "latency_p95_spike":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}"


def observed_vs_threshold(alert: dict[str, Any]) -> str:
    """``$2.29 > $2.00``: the value that crossed, against what it crossed."""
    rule = str(alert.get("rule", "?"))
    op = ">=" if rule in ("loop_detected", "retry_storm") else ">"
    observed, threshold = alert.get("observed"), alert.get("threshold")
    return f"{format_value(rule, observed)} {op} {format_value(rule, threshold)}"


def alert_line(alert: dict[str, Any]) -> Text:
    rule = str(alert.get("rule", "?"))
    severity = str(alert.get("severity", "?"))
    where = alert.get("workflow") or "-"
    if alert.get("customer_id"):
        where += f" / {alert['customer_id']} ({alert.get('segment', '-')})"
    scope = alert.get("run_id") or alert.get("window_start") or ""
    text = Text()
    text.append(f"{str(alert.get('detected_at', ''))[11:19]} ")
    text.append(f"{severity.upper():8}", style=_SEVERITY.get(severity, ""))
    text.append(f" {rule:23}", style="bold")
    text.append(f" {where}  {scope}  ")
    text.append(observed_vs_threshold(alert))
    if alert.get("trace_id"):
        text.append(f"  trace {alert['trace_id']}", style="dim")
    text.append(f"  {alert.get('runbook', '')}", style="cyan")
    return text
