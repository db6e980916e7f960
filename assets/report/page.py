"""The weekly report as one self-contained HTML page (inline CSS and SVG, no script, no
external resource), and the summary its delivery sends."""

from __future__ import annotations

import html
from datetime import timedelta
from importlib.resources import files
from string import Template
from typing import Any

import great_tables as gt
import polars as pl

from assets.report import charts
from assets.report import formats as f
from assets.report.data import KPIS, ReportData

_LABELS = {
    "success_rate": "success",
    "escalation_rate": "escalation",
    "override_rate": "override",
    "p95_duration_ms": "p95",
    "cost_per_success": "cost per success",
    "cost_usd": "cost",
    "canary_success_rate": "canary success",
    "control_success_rate": "control success",
    "canary_escalation_rate": "canary escalation",
    "control_escalation_rate": "control escalation",
}
_RATE = ("success_rate", "escalation_rate", "override_rate", "share", "latest_prompt_share")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _formats(columns: list[str]) -> list[tuple[list[str], Any]]:
    """Which columns get which great-tables format, by name: rates as percentages with one
    decimal, rate changes (``d_*``) in signed points, money in USD, durations (``*_ms``) in
    seconds; a ``change_*`` column is signed."""

    def pick(test: Any) -> list[str]:
        return [c for c in columns if test(c)]

    def signed(c: str) -> bool:
        return c.startswith("change_")

    def money(c: str) -> bool:
        return c.endswith("_usd") or c.startswith(("cost_per", "change_cost"))

    def usd(t: Any, cs: list[str]) -> Any:
        return t.fmt_currency(cs, currency="USD", decimals=4, force_sign=signed(cs[0]))

    def secs(t: Any, cs: list[str]) -> Any:
        return t.fmt_number(
            cs, decimals=1, scale_by=0.001, pattern="{x} s", force_sign=signed(cs[0])
        )

    return [
        (
            pick(lambda c: c in _RATE or (c.endswith("_rate") and not c.startswith("d_"))),
            lambda t, cs: t.fmt_percent(cs, decimals=1),
        ),
        (
            pick(lambda c: c.startswith("d_")),
            lambda t, cs: t.fmt_number(
                cs, decimals=1, scale_by=100, pattern="{x} pts", force_sign=True
            ),
        ),
        (pick(lambda c: money(c) and not signed(c)), usd),
        (pick(lambda c: money(c) and signed(c)), usd),
        (pick(lambda c: c.endswith("_psi")), lambda t, cs: t.fmt_number(cs, decimals=3)),
        (pick(lambda c: c.startswith("median_min")), lambda t, cs: t.fmt_number(cs, decimals=1)),
        (pick(lambda c: c.endswith("_ms") and not signed(c)), secs),
        (pick(lambda c: c.endswith("_ms") and signed(c)), secs),
    ]


def _table(frame: pl.DataFrame, table_id: str, labels: dict[str, str]) -> str:
    """A great-tables table; rates as percentages with one decimal. ``table_id`` fixes the
    element id (great-tables draws a random one), so the same week renders the same bytes."""
    if frame.is_empty():
        return '<p class="empty">Nothing this week.</p>'
    names = {**_LABELS, **labels}
    table = gt.GT(frame, id=table_id).cols_label(
        **{c: names.get(c, c.replace("_", " ")) for c in frame.columns}
    )
    for columns, fmt in _formats(frame.columns):
        if columns:
            table = fmt(table, columns)
    table = table.sub_missing(missing_text=f.MISSING)
    return f'<div class="table" data-table="{table_id}">{table.as_raw_html()}</div>'


def _figure(name: str, svg: str, reading: str) -> str:
    reading = reading[:1].upper() + reading[1:]
    return (
        f'<figure class="chart" data-chart="{_e(name)}">{svg}'
        f"<figcaption>{_e(reading)}</figcaption></figure>"
    )


def headline(d: ReportData) -> list[str]:
    """The week's headline deltas, a line each (the report's top and the Slack message)."""
    o = d.overall
    runs = int(o["runs"])  # type: ignore[call-overload]
    lines = [f"{f.count(runs)} run{'' if runs == 1 else 's'}"]
    for col, label, kind in KPIS[1:]:
        line = f"{label} {f.value(kind, o.get(col))}"
        if o["prev_week"]:
            line += f" ({f.delta(kind, o.get('d_' + col))} week over week)"
        lines.append(line)
    return lines


def summary(d: ReportData) -> dict[str, Any]:
    """The JSON summary a webhook receives with the file."""
    o = d.overall
    kpis = {
        col: {"value": o.get(col), "previous": o.get("prev_" + col), "delta": o.get("d_" + col)}
        for col, _, _ in KPIS
    }
    gates = d.gates.filter(pl.col("gate_pass").is_not_null())
    return {
        "type": "weekly_report",
        "week": d.iso_week,
        "week_start": d.week_start.isoformat(),
        "headline": headline(d),
        "kpis": kpis,
        "gates_failed": gates.filter(~pl.col("gate_pass"))["workflow"].to_list(),
        "drift_flagged": d.segments.filter(pl.col("drift_flag"))
        .select("workflow", "segment")
        .to_dicts(),
        "incidents": int(d.incidents["alerts"].sum()) if not d.incidents.is_empty() else 0,
        "breakers_opened": int(d.breakers["opened"].sum()) if not d.breakers.is_empty() else 0,
    }


def _overview(d: ReportData) -> str:
    o = d.overall
    cards = []
    for col, label, kind in KPIS:
        delta = f.delta(kind, o.get("d_" + col)) if o["prev_week"] else "no previous week"
        cards.append(
            f'<div class="kpi" data-kpi="{col}"><span class="label">{_e(label)}</span>'
            f'<span class="value">{_e(f.value(kind, o.get(col)))}</span>'
            f'<span class="delta">{_e(delta)}</span></div>'
        )
    trend = d.trend
    figures = [
        _figure(
            f"trend_{col}",
            charts.trend(trend, col, f"{label}, 8 weeks", kind),
            f.trend_reading(trend, col, label, kind),
        )
        for col, label, kind in KPIS
        if not trend.is_empty()
    ]
    return (
        "<h2>Overview</h2>"
        f'<p class="headline">{_e(" · ".join(headline(d)))}</p>'
        f'<div class="kpis">{"".join(cards)}</div>'
        "<h2>Trend per workflow</h2>"
        f'<div class="charts">{"".join(figures)}</div>'
    )


def _releases(d: ReportData) -> str:
    rel = d.releases
    moved = rel.drop_nulls("d_success_rate")
    if rel.is_empty():
        reading = "No prompt versions recorded."
    elif moved.is_empty():
        reading = "No release has finished runs on both it and the version before it yet."
    else:
        top = moved.sort(pl.col("d_success_rate").abs(), descending=True).row(0, named=True)
        d_s = top["d_success_rate"]
        side = "above" if d_s > 0 else "below" if d_s < 0 else "level with"
        gap = f"{abs(d_s) * 100:.1f} pts " if d_s else ""
        reading = (
            f"{top['workflow']}: success on {top['release']} (released {top['released']}) is"
            f" {gap}{side} {top['previous']}."
        )
    table = _table(
        rel,
        "releases",
        {
            "runs_on_release": "runs on it",
            "runs_on_previous": "runs on previous",
            "d_success_rate": "Δ success",
            "d_escalation_rate": "Δ escalation",
            "change_p95_ms": "Δ p95",
            "change_cost_per_success": "Δ cost per success",
        },
    )
    return (
        "<h2>Since the last release</h2>"
        "<p>Each workflow's latest prompt version against the one before it, over eight weeks.</p>"
        f'<p class="reading" data-reading="releases">{_e(reading)}</p>{table}'
    )


def _segments(d: ReportData) -> str:
    seg = d.segments.with_columns(
        label=pl.col("workflow") + " / " + pl.col("segment"),
        drift=pl.when(pl.col("drift_flag")).then(pl.lit("drift")).otherwise(pl.lit("steady")),
    )
    chart = (
        _figure(
            "segments",
            charts.bars(
                seg,
                "label",
                "success_rate",
                "Success by segment",
                "rate",
                "drift",
                {"drift": "#cf222e", "steady": "#8c959f"},
            ),
            f.segment_reading(d.segments),
        )
        if not seg.is_empty()
        else ""
    )
    table = _table(
        d.segments.with_columns(
            drift_flag=pl.when(pl.col("drift_flag")).then(pl.lit("DRIFT")).otherwise(pl.lit(""))
        ),
        "segments",
        {
            "d_success_rate": "Δ success",
            "cost_psi": "cost PSI",
            "duration_psi": "duration PSI",
            "drift_flag": "drift",
            "p95_duration_ms": "p95",
        },
    )
    return f'<h2>Segments and drift</h2><div class="charts">{chart}</div>{table}'


def _gates(d: ReportData) -> str:
    g = d.gates.with_columns(
        gate=pl.when(pl.col("gate_pass").is_null())
        .then(pl.lit("no canary or control"))
        .when(pl.col("gate_pass"))
        .then(pl.lit("pass"))
        .otherwise(pl.lit("FAIL"))
    ).drop("gate_pass")
    judged = d.gates.filter(pl.col("gate_pass").is_not_null())
    failed = judged.filter(~pl.col("gate_pass"))["workflow"].to_list()
    reading = (
        f"{judged.height - len(failed)} of {judged.height} canary gate(s) passed"
        + (f"; failed: {', '.join(failed)}." if failed else ".")
        if judged.height
        else "No workflow had both canary and control runs this week."
    )
    return (
        "<h2>Canary gates</h2>"
        "<p>Canary escalation ≤ control + 5 pts and canary success ≥ control \u2212 5 pts.</p>"
        f'<p class="reading" data-reading="gates">{_e(reading)}</p>' + _table(g, "gates", {})
    )


def _failures(d: ReportData) -> str:
    figs = []
    fail = d.failures.with_columns(label=pl.col("workflow") + " · " + pl.col("category"))
    if not fail.is_empty():
        figs.append(
            _figure(
                "failure_reasons",
                charts.bars(fail, "label", "errors", "Top 10 failure reasons", "count"),
                f.share_reading(fail, "top 10 failure reasons", "label", "errors"),
            )
        )
    if not d.retries.is_empty():
        figs.append(
            _figure(
                "retry_causes",
                charts.bars(d.retries, "reason", "retries", "Top retry causes", "count"),
                f.share_reading(d.retries, "retry causes", "reason", "retries"),
            )
        )
    costs = d.costs
    retry_cost = costs["retry_cost_usd"].sum() if not costs.is_empty() else 0.0
    note = f"Retries cost {f.usd(retry_cost)} this week."
    return (
        "<h2>Failures, retries and their cost</h2>"
        f'<div class="charts">{"".join(figs) or "<p class=empty>No errors or retries.</p>"}</div>'
        f'<p class="reading" data-reading="costs">{_e(note)}</p>'
        + _table(
            costs,
            "costs",
            {"retry_cost_usd": "cost of retries", "cost_per_escalation": "cost per escalation"},
        )
    )


def _prompts(d: ReportData) -> str:
    share = d.overall.get("latest_prompt_share")
    rows = d.shares
    fig = (
        _figure(
            "prompt_share",
            charts.bars(
                rows, "workflow", "latest_prompt_share", "Runs on the latest prompt", "rate"
            ),
            f"{f.pct(share)} of all runs were on their workflow's latest prompt version.",
        )
        if not rows.is_empty()
        else ""
    )
    return f'<h2>Latest prompt-version share</h2><div class="charts">{fig}</div>' + _table(
        d.prompts, "prompt_versions", {"share": "share of workflow"}
    )


def _incidents(d: ReportData) -> str:
    inc = d.incidents
    fig = ""
    if not inc.is_empty():
        top = inc.sort("incidents_per_1000_runs", descending=True).row(0, named=True)
        ack = top["median_minutes_to_ack"]
        reading = f"{top['rule']}: {top['incidents_per_1000_runs']:.1f} per 1,000 runs" + (
            f", median {ack:.1f} min to acknowledge." if ack is not None else ", none acknowledged."
        )
        fig = _figure(
            "incidents",
            charts.bars(
                inc, "rule", "incidents_per_1000_runs", "Incidents per 1,000 runs", "per_1000"
            ),
            reading,
        )
    breakers = d.breakers
    opened = int(breakers["opened"].sum()) if not breakers.is_empty() else 0
    return (
        "<h2>Incidents</h2>"
        f'<div class="charts">{fig}</div>'
        + _table(
            inc,
            "incidents",
            {
                "incidents_per_1000_runs": "per 1,000 runs",
                "median_minutes_to_ack": "median min to ack",
                "median_minutes_to_resolve": "median min to resolve",
            },
        )
        + f'<h2>Breakers opened</h2><p class="reading" data-reading="breakers">'
        f"{opened} breaker(s) opened this week.</p>"
        + _table(breakers.with_columns(pl.col("first_opened").cast(pl.Utf8)), "breakers", {})
    )


def render(d: ReportData) -> str:
    """The whole page."""
    end = d.week_start + timedelta(days=6)
    title = f"agentgauge weekly review, {d.iso_week}"
    body = (
        f"<h1>{_e(title)}</h1>"
        f'<p class="sub">{d.week_start:%a %d %b %Y} \u2013 {end:%a %d %b %Y} (UTC).'
        " Every number comes from the scorecard tables (docs/scorecard.md).</p>"
        + _overview(d)
        + _releases(d)
        + _segments(d)
        + _gates(d)
        + _failures(d)
        + _prompts(d)
        + _incidents(d)
        + "<footer>agentgauge · weekly_report</footer>"
    )
    template = Template(files("assets.report").joinpath("template.html").read_text("utf-8"))
    return template.substitute(title=_e(title), body=body)
