"""The alert record's values as text: ``$2.29 > $2.00`` (delivery payloads, the CLI)."""

from __future__ import annotations

from typing import Any

_USD_RULES = {"run_cost_ceiling", "customer_spend_ceiling"}
_SHARE_RULES = {"error_rate_spike", "retry_storm"}
_WINDOWED = ("error_rate_spike", "retry_storm", "latency_p95_spike", "cost_rate_spike")


def format_value(rule: str, value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if rule in _USD_RULES:
        return f"${value:,.2f}"
    if rule == "cost_rate_spike":  # mean cost per costed event: often under a cent
        return f"${value:,.4f}"
    if rule in _SHARE_RULES:
        return f"{value:.1%}"
    if rule == "latency_p95_spike":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}"


def observed_vs_threshold(alert: dict[str, Any]) -> str:
    """``$2.29 > $2.00``: the value that crossed, against what it crossed."""
    rule = str(alert.get("rule", "?"))
    op = ">=" if rule in ("loop_detected", *_WINDOWED) else ">"
    observed, threshold = alert.get("observed"), alert.get("threshold")
    return f"{format_value(rule, observed)} {op} {format_value(rule, threshold)}"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


def evidence(alert: dict[str, Any]) -> str | None:
    """A windowed alert's evidence in one line: ``segment enterprise: 41.0% (61 in window) vs
    2.4% (5,210 over 24 h), p = 3.1e-19``; None for the other rules."""
    p_value = alert.get("p_value")
    if alert.get("rule") not in _WINDOWED or not isinstance(p_value, int | float):
        return None
    rule = str(alert["rule"])
    level = "workflow" if alert.get("level") != "segment" else f"segment {alert.get('segment')}"
    hours = alert.get("baseline_hours")
    horizon = f"{hours:g} h" if isinstance(hours, int | float) else "-"
    return (
        f"{level}: {format_value(rule, alert.get('observed'))}"
        f" ({_count(alert.get('window_volume'))} in window) vs"
        f" {format_value(rule, alert.get('baseline'))}"
        f" ({_count(alert.get('baseline_volume'))} over {horizon}), p = {p_value:.1e}"
    )
