"""Render the Flink SQL files in ``sql/flink/``.

Flink SQL has no bind parameters, so values from configuration (topic names, thresholds) are
rendered as SQL literals here, each through :func:`sql_str` or
:func:`sql_num`, never pasted raw. No value from event data is ever rendered into SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import orjson

import sql
from streams.ceilings import Ceilings
from streams.errors import ConfigError

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def sql_str(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    if "\x00" in value:
        raise ConfigError("NUL byte in a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def sql_num(value: float) -> str:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"not a finite number: {value!r}")
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def with_options(options: Mapping[str, str]) -> str:
    return ",\n  ".join(f"{sql_str(k)} = {sql_str(v)}" for k, v in options.items())


def render(template: str, params: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            raise ConfigError(f"no value for placeholder {{{{{name}}}}}")
        return params[name]

    return _PLACEHOLDER.sub(sub, template)


def statements() -> list[tuple[str, str]]:
    """(name, template) for every statement of ``sql/flink``, in execution order."""
    return [(name, sql.load("flink", name)) for name in sql.names("flink")]


def is_insert(statement: str) -> bool:
    """Whether a statement is an INSERT (it goes into the job's statement set) rather than DDL:
    its first line that is not a comment says so."""
    for line in statement.splitlines():
        text = line.strip()
        if text and not text.startswith("--"):
            return text.upper().startswith("INSERT")
    return False


def _case(column: str, overrides: Mapping[str, float], default: float) -> str:
    if not overrides:
        return sql_num(default)
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_num(v)}" for k, v in sorted(overrides.items()))
    return f"CAST(CASE {column} {whens} ELSE {sql_num(default)} END AS DOUBLE)"


def _optional_case(
    column: str, overrides: Mapping[str, float | None], default: float | None, sql_type: str
) -> str:
    """Like :func:`_case`, for a limit that may be unset (NULL: no limit)."""
    set_ = {k: v for k, v in overrides.items() if v is not None}
    fallback = "NULL" if default is None else sql_num(default)
    if not set_:
        return f"CAST({fallback} AS {sql_type})"
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_num(v)}" for k, v in sorted(set_.items()))
    return f"CAST(CASE {column} {whens} ELSE {fallback} END AS {sql_type})"


def anomaly_config(c: Ceilings) -> str:
    """The windowed rules' settings as the JSON that ``AG_WINDOW_BASELINE`` reads
    (``jobs/jvm/.../Detector.java``); the detection benchmark hands the same text to the same
    class."""
    w = c.windows
    rules = ("error_rate_spike", "retry_storm", "latency_p95_spike", "cost_rate_spike")
    return orjson.dumps(
        {
            "window_minutes": w.size_minutes,
            "horizon_hours": w.baseline_hours,
            "min_baseline_volume": w.min_baseline_volume,
            "max_p_value": w.max_p_value,
            "max_segments": w.max_segments,
            **{name: getattr(w, name).model_dump() for name in rules},
        },
        option=orjson.OPT_SORT_KEYS,
    ).decode()


def rule_params(c: Ceilings) -> dict[str, str]:
    d, w = c.defaults, c.windows
    cost = {k: v.run_cost_usd for k, v in c.workflows.items() if v.run_cost_usd is not None}
    tools = {k: v.run_tool_calls for k, v in c.workflows.items() if v.run_tool_calls is not None}
    loops = {k: v.loop_repeats for k, v in c.workflows.items() if v.loop_repeats is not None}
    cust = {k: v.customer_hourly_usd for k, v in c.customers.items()}
    return {
        "ceilings_version": sql_str(c.version),
        "run_ceiling_expr": _case("workflow", cost, d.run_cost_usd),
        "tool_limit_expr": _case("workflow", tools, d.run_tool_calls),
        "loop_limit_expr": _case("workflow", loops, d.loop_repeats),
        "customer_ceiling_expr": _case("customer_id", cust, d.customer_hourly_usd),
        "token_limit_expr": _optional_case(
            "workflow", {k: v.run_tokens for k, v in c.workflows.items()}, d.run_tokens, "BIGINT"
        ),
        "duration_limit_expr": _optional_case(
            "workflow",
            {k: v.run_duration_s for k, v in c.workflows.items()},
            d.run_duration_s,
            "DOUBLE",
        ),
        "window_minutes": str(int(w.size_minutes)),
        "max_segments": str(int(w.max_segments)),
        "anomaly_config": sql_str(anomaly_config(c)),
    }
