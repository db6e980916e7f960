"""The report's charts: Altair specifications rendered to static SVG by vl-convert (no
JavaScript, no network: the page embeds the SVG itself)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import vl_convert

_FONT = "DejaVu Sans, Noto Sans, Arial, sans-serif"
_CONFIG: dict[str, Any] = {
    "font": _FONT,
    "axis": {"labelFontSize": 11, "titleFontSize": 11},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 220},
    "view": {"stroke": None},
}
_FORMAT = {"rate": ".1%", "ms": ",.0f", "usd": "$,.4f", "count": ",d", "per_1000": ",.1f"}


def _steps(kind: str) -> dict[str, Any]:
    """Counts tick at whole numbers (no 0, 0, 1, 1 on a small axis)."""
    return {"tickMinStep": 1} if kind == "count" else {}


def _values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates as ISO strings)."""
    out = []
    for row in frame.iter_rows(named=True):
        out.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
    return out


def svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.to_dict()
    spec["config"] = {**spec.get("config", {}), **_CONFIG}
    text: str = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    # The XML prolog is not allowed inside HTML; the <svg> element is.
    return text[text.index("<svg") :]


def trend(frame: pl.DataFrame, column: str, title: str, kind: str) -> str:
    frame = frame.select("week_start", "workflow", column)
    fmt = _FORMAT[kind]
    if kind == "ms":  # durations read in seconds
        frame, fmt = frame.with_columns(pl.col(column) / 1000), ",.1f"
    data = alt.Data(values=_values(frame))  # type: ignore[no-untyped-call]
    return svg(
        alt.Chart(data, title=title, width=300, height=150)
        .mark_line(point=True)
        .encode(
            x=alt.X("week_start:T", title=None, axis=alt.Axis(format="%b %d", tickCount="week")),
            y=alt.Y(
                f"{column}:Q",
                title="seconds" if kind == "ms" else None,
                axis=alt.Axis(format=fmt, **_steps(kind)),
            ),
            color=alt.Color("workflow:N", title="workflow"),
        )
    )


def bars(
    frame: pl.DataFrame,
    label: str,
    measure: str,
    title: str,
    kind: str,
    color: str | None = None,
    palette: dict[str, str] | None = None,
) -> str:
    data = alt.Data(values=_values(frame))  # type: ignore[no-untyped-call]
    enc: dict[str, Any] = {
        "y": alt.Y(f"{label}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        "x": alt.X(
            f"{measure}:Q",
            title=None,
            axis=alt.Axis(format=_FORMAT[kind], **_steps(kind)),
        ),
    }
    if color:
        scale = (
            alt.Scale(domain=list(palette), range=list(palette.values()))
            if palette
            else alt.Undefined
        )
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "), scale=scale)
    height = max(60, 22 * frame.height)
    return svg(alt.Chart(data, title=title, width=420, height=height).mark_bar().encode(**enc))
