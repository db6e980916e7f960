"""How the report writes numbers (rates as percentages with one decimal) and the one-line
reading under each chart."""

from __future__ import annotations

from typing import Any

import polars as pl

MISSING = "\u2013"  # an en dash: no value


def pct(v: Any) -> str:
    return MISSING if v is None else f"{v * 100:.1f}%"


def pts(d: Any) -> str:
    """A change of a rate in percentage points, signed: ``+7.1 pts``."""
    return MISSING if d is None else f"{d * 100:+.1f} pts"


def seconds(ms: Any) -> str:
    return MISSING if ms is None else f"{ms / 1000:.1f} s"


def usd(v: Any) -> str:
    return MISSING if v is None else f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"


def count(v: Any) -> str:
    return MISSING if v is None else f"{int(v):,}"


def value(kind: str, v: Any) -> str:
    return {"rate": pct, "ms": seconds, "usd": usd, "count": count}[kind](v)


def delta(kind: str, d: Any) -> str:
    """A week-over-week change, in the KPI's own unit (points for rates)."""
    if d is None:
        return MISSING
    if kind == "rate":
        return pts(d)
    if kind == "ms":
        return f"{d / 1000:+.1f} s"
    if kind == "usd":
        return ("+" if d >= 0 else "-") + usd(abs(d))
    return f"{int(d):+,}"


def _moved(kind: str, d: float) -> str:
    verb = "rose" if d > 0 else "fell"
    if kind == "rate":
        return f"{verb} {abs(d) * 100:.1f} pts"
    if kind == "ms":
        return f"{verb} {abs(d) / 1000:.1f} s"
    if kind == "usd":
        return f"{verb} {usd(abs(d))}"
    return f"{verb} by {abs(int(d)):,}"


def trend_reading(trend: pl.DataFrame, column: str, label: str, kind: str) -> str:
    """The largest move between the last two weeks among the workflows."""
    weeks = sorted(set(trend["week_start"].to_list()))
    if len(weeks) < 2:
        return f"{label}: one week of data, no trend yet."
    last, prev = weeks[-1], weeks[-2]
    a = trend.filter(pl.col("week_start") == last).select("workflow", pl.col(column).alias("now"))
    b = trend.filter(pl.col("week_start") == prev).select("workflow", pl.col(column).alias("was"))
    both = a.join(b, on="workflow").drop_nulls().with_columns(d=pl.col("now") - pl.col("was"))
    if both.is_empty():
        return f"{label}: no workflow ran in both of the last two weeks."
    top = both.sort(pl.col("d").abs(), descending=True).row(0, named=True)
    if top["d"] == 0:
        return f"{label} held steady in every workflow week over week."
    return (
        f"{label.lower()} {_moved(kind, top['d'])} for {top['workflow']}"
        f" ({value(kind, top['was'])} → {value(kind, top['now'])})."
    )


def segment_reading(segments: pl.DataFrame) -> str:
    flagged = int(segments["drift_flag"].sum()) if not segments.is_empty() else 0
    moved = segments.drop_nulls("d_success_rate")
    tail = f"; {flagged} of {segments.height} segment(s) flagged for drift."
    if moved.is_empty():
        return "No segment has a previous week to compare with" + tail
    top = moved.sort(pl.col("d_success_rate").abs(), descending=True).row(0, named=True)
    if top["d_success_rate"] == 0:
        return "Success held steady in every segment" + tail
    return (
        f"success {_moved('rate', top['d_success_rate'])} for {top['workflow']} / {top['segment']}"
        + tail
    )


def share_reading(frame: pl.DataFrame, label: str, key: str, n: str) -> str:
    if frame.is_empty():
        return f"No {label} this week."
    total = frame[n].sum()
    top = frame.row(0, named=True)
    share = pct(top[n] / total)
    return f"{label}: {top[key]} leads with {count(top[n])} of {count(total)} ({share})."
