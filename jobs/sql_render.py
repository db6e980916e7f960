"""Render the Flink SQL files in ``sql/flink/``.

Flink SQL has no bind parameters, so values from configuration (topic names, thresholds, the
redaction patterns) are rendered as SQL literals here, each through :func:`sql_str` or
:func:`sql_num`, never pasted raw. No value from event data is ever rendered into SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

from jobs.config import Ceilings
from streams.redaction import RedactionConfig

SQL_DIR = Path(__file__).resolve().parents[1] / "sql" / "flink"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def sql_str(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    if "\x00" in value:
        raise ValueError("NUL byte in a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def sql_num(value: float) -> str:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def with_options(options: Mapping[str, str]) -> str:
    return ",\n  ".join(f"{sql_str(k)} = {sql_str(v)}" for k, v in options.items())


def render(template: str, params: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            raise KeyError(f"no value for placeholder {{{{{name}}}}}")
        return params[name]

    return _PLACEHOLDER.sub(sub, template)


def statements() -> list[tuple[str, str]]:
    """(file name, template) for every SQL file, in execution order."""
    return [(p.name, p.read_text()) for p in sorted(SQL_DIR.glob("*.sql"))]


# RFC 3339 with an offset; the offset becomes the zone of TO_TIMESTAMP_LTZ, so 09:30+02:00 is
# 07:30 UTC. Unparseable text yields NULL, never an error.
_TS_REGEX = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?)"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss" + "".join(f"[.{'S' * n}]" for n in range(9, 0, -1))


def ts_expr(column: str = "payload") -> str:
    text = f"JSON_VALUE({column}, '$.ts')"
    rx = sql_str(_TS_REGEX)

    def part(i: int) -> str:
        return f"REGEXP_EXTRACT({text}, {rx}, {i})"

    return (
        f"TO_TIMESTAMP_LTZ({part(1)} || 'T' || {part(2)}, {sql_str(_TS_FORMAT)}, UPPER({part(4)}))"
    )


def redaction_expr(config: RedactionConfig, column: str = "payload") -> str:
    """Nested REGEXP_REPLACE calls applying the SDK's rules to a raw JSON payload.

    Sensitive keys: the JSON value of any key named (or ending in ``_<name>``) as in the config.
    Patterns: applied to the whole payload; the Luhn check cannot run in SQL, so every
    card-number-shaped match is redacted (stricter than the SDK, never looser).
    """
    # Flink's REGEXP_REPLACE has no group references, so the key stays outside the match: a
    # bounded lookbehind on `<key>"<ws>:<ws>` selects the value only. It matches every key that
    # ends in a configured name (user_password, x-api-key), case-insensitively.
    keys = "|".join(re.escape(k).replace("_", "[_-]") for k in config.keys)
    key_rx = (
        r"(?i)(?<=(?:" + keys + r')"\s{0,3}:\s{0,3})'
        r'(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false)'
    )
    # One cheap guard for the whole chain: when no key name and no pattern prefilter occurs in the
    # payload, and it holds no 13-digit run, nothing can match and the payload is kept as is.
    # (Guarding each pattern separately would repeat the nested expression per pattern, and
    # choosing the pattern per row defeats Flink's compiled-pattern cache.)
    key_token = sql_str('"[REDACTED:key]"')
    expr = f"REGEXP_REPLACE({column}, {sql_str(key_rx)}, {key_token})"
    for p in config.patterns:
        expr = f"REGEXP_REPLACE({expr}, {sql_str(p.regex)}, {sql_str(f'[REDACTED:{p.kind}]')})"
    lowered = f"LOWER({column})"
    hints = [f"POSITION({sql_str(k.lower())} IN {lowered}) > 0" for k in config.keys]
    for p in config.patterns:
        if not p.prefilter:
            hints.append(f"REGEXP({column}, {sql_str(p.regex)})")  # its own guard
            continue
        subject = lowered if p.case_insensitive else column
        hints += [
            f"POSITION({sql_str(h.lower() if p.case_insensitive else h)} IN {subject}) > 0"
            for h in p.prefilter
        ]
    expr = f"CASE WHEN {' OR '.join(hints)} THEN {expr} ELSE {column} END"
    return expr


def _case(column: str, overrides: Mapping[str, float], default: float) -> str:
    if not overrides:
        return sql_num(default)
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_num(v)}" for k, v in sorted(overrides.items()))
    return f"CAST(CASE {column} {whens} ELSE {sql_num(default)} END AS DOUBLE)"


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
        "window_minutes": str(int(w.size_minutes)),
        "baseline_windows": str(int(w.baseline_windows)),
        "min_history": str(int(w.min_baseline_windows)),
        "retry_min": sql_num(float(w.retry_storm.min_retries)),
        "retry_mult": sql_num(w.retry_storm.baseline_multiplier),
        "err_min_calls": str(int(w.error_rate_spike.min_calls)),
        "err_z": sql_num(w.error_rate_spike.z),
        "err_ratio": sql_num(w.error_rate_spike.min_ratio),
        "err_min_rate": sql_num(w.error_rate_spike.min_rate),
        "lat_min_calls": str(int(w.latency_p95_spike.min_calls)),
        "lat_z": sql_num(w.latency_p95_spike.z),
        "lat_ratio": sql_num(w.latency_p95_spike.min_ratio),
        "cost_min_events": str(int(w.cost_rate_spike.min_events)),
        "cost_z": sql_num(w.cost_rate_spike.z),
        "cost_ratio": sql_num(w.cost_rate_spike.min_ratio),
        "cost_min_excess": sql_num(w.cost_rate_spike.min_excess_usd),
    }
