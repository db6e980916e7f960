"""The alert record's values as text: ``$2.29 > $2.00`` (delivery payloads, the CLI)."""

from __future__ import annotations

from typing import Any

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
