"""The weekly report: the Dagster asset and `agentgauge report` on a real warehouse, opened in
headless Chromium (Debian's, driven by Playwright in a process of its own,
tests/support/browser.py): charts drawn, no external request, the numbers in the DOM equal the
warehouse's, a screenshot under var/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from agentgauge.cli._app import app
from dagster_project.definitions import ALL_ASSETS
from streams.lake import write_lake
from tests.assets.test_scorecards import _materialize_all, _resources
from tests.support import browser
from tests.support.scorecard_data import ev, events

# A workflow name that is not ASCII and carries markup (the contract allows any text): it must
# render as text, and its image must never be fetched.
WF = 'réponse-客户 <img src="https://evil.example/x.png">'
ARTIFACTS = Path("var") / "test-artifacts"


def _unicode_runs() -> list[dict[str, Any]]:
    """Three runs of WF in W46: two succeed, one fails after a rate-limit retry."""
    out = []
    for i, status in enumerate(("success", "success", "failure")):
        run, ts = f"u{i}", f"2026-11-12T1{i}:00:00Z"
        out.append(ev(run, 1, "run_started", ts, workflow=WF, segment="eu"))
        if status == "failure":
            out.append(ev(run, 2, "retry", ts, workflow=WF, segment="eu", reason="rate_limit"))
            out.append(ev(run, 3, "error", ts, workflow=WF, segment="eu", category="model_failure"))
        out.append(
            ev(
                run,
                4,
                "run_finished",
                ts.replace(":00:00Z", ":00:05Z"),
                workflow=WF,
                segment="eu",
                status=status,
                duration_ms=5000.0,
            )
        )
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("report")
    first, _ = events()
    write_lake(first + _unicode_runs(), tmp / "lake")
    res = _resources(tmp)
    weeks = ("2026-11-09", "2026-11-16")
    _materialize_all(res, weeks, weeks)
    result = dg.materialize(
        ALL_ASSETS,
        selection=["weekly_report"],
        resources=res,
        tags={
            "dagster/asset_partition_range_start": weeks[0],
            "dagster/asset_partition_range_end": weeks[1],
        },
    )
    assert result.success
    return {"tmp": tmp, "res": res, "db": tmp / "wh.duckdb", "reports": tmp / "reports"}


def _warehouse(db: Path, query: str) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as conn:
        cur = conn.execute(query)
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        assert row is not None
        return dict(zip(cols, row, strict=True))


def _tags(html: str) -> list[tuple[str, list[str]]]:
    """Every element of the page with its attribute names (the stdlib's HTML tokenizer)."""
    out: list[tuple[str, list[str]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            out.append((tag, [name for name, _ in attrs]))

    Collect().feed(html)
    return out


def test_the_asset_writes_one_self_contained_file_per_week(built: dict[str, Any]) -> None:
    w46, w47 = built["reports"] / "2026-W46.html", built["reports"] / "2026-W47.html"
    html = w46.read_text("utf-8")
    assert w47.exists() and (built["reports"] / "2026-W46.json").exists()
    assert "<script" not in html.lower() and "<link" not in html.lower()
    # nothing to fetch: no element has an attribute that loads something, no CSS url or @import
    tags = _tags(html)
    assert not {"script", "link", "img", "iframe", "object", "image", "use"} & {t for t, _ in tags}
    fetching = {"src", "href", "xlink:href", "srcset", "action", "data", "poster"}
    assert not [(t, a) for t, attrs in tags for a in attrs if a in fetching]
    assert not re.search(r"url\(|@import", html, re.IGNORECASE)
    assert html.count("<svg") == 11  # 6 trends, segments, failures, retries, prompts, incidents
    assert "réponse-客户" in html and "<img" not in html  # escaped everywhere, SVG included
    # since the last release: wf's p2 (first seen Sunday of W46) has one run by W47, a success,
    # against p1's 3 of 5
    w47_html = w47.read_text("utf-8")
    assert "wf: success on p2 (released 2026-11-15) is 40.0 pts above p1." in w47_html
    assert "No release has finished runs on both it and the version before it yet." in html
    before = w46.read_bytes()
    again = dg.materialize(
        ALL_ASSETS, selection=["weekly_report"], resources=built["res"], partition_key="2026-11-09"
    )
    assert again.success and w46.read_bytes() == before  # the same week renders the same bytes


def test_report_command_writes_and_prints_the_path(built: dict[str, Any], tmp_path: Path) -> None:
    env = {"AGENTGAUGE_DUCKDB_PATH": str(built["db"]), "AGENTGAUGE_VAR_DIR": str(tmp_path)}
    out = tmp_path / "w46.html"
    result = CliRunner().invoke(app, ["report", "--week", "2026-W46", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert out.read_bytes() == (built["reports"] / "2026-W46.html").read_bytes()
    latest = CliRunner().invoke(app, ["report"], env=env)
    assert latest.exit_code == 0, latest.output
    assert latest.stdout.strip() == str(tmp_path / "reports" / "2026-W47.html")
    bad = CliRunner().invoke(app, ["report", "--week", "46"], env=env)
    assert bad.exit_code == 2 and "invalid ISO week '46'" in bad.output
    empty = CliRunner().invoke(app, ["report", "--week", "2026-W40"], env=env)
    assert empty.exit_code == 1 and "no finished runs in the week of 2026-09-28" in empty.output


def test_the_report_in_headless_chromium(built: dict[str, Any], record_property: Any) -> None:
    page_url = (built["reports"] / "2026-W46.html").resolve().as_uri()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-2026-W46.png"
    kpis = ["runs", "success_rate", "escalation_rate", "override_rate", "p95_duration_ms"]
    spec = {
        "charts": "figure.chart svg",
        "texts": {k: f'[data-kpi="{k}"] .value' for k in [*kpis, "cost_per_success"]},
        "rows": {"segment": ['[data-table="segments"] tr', WF]},
        "all": {"readings": "figcaption"},
        "screenshot": str(shot),
    }
    if browser.chromium() is None:
        pytest.fail("no chromium-headless-shell or chromium: `./dev test` installs it (Debian)")
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.browser", page_url, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["requested"] == [page_url]  # nothing else: no font, script, image or beacon

    assert len(seen["boxes"]) == 11
    for box in seen["boxes"]:
        assert box is not None and box["width"] > 50 and box["height"] > 50

    overall = _warehouse(
        built["db"],
        "SELECT * FROM scorecard_weekly_rollup"
        " WHERE week_start = DATE '2026-11-09' AND level = 'overall'",
    )
    kpi = seen["texts"]
    assert kpi["runs"] == str(overall["runs"]) == "8"
    assert kpi["success_rate"] == f"{overall['success_rate'] * 100:.1f}%" == "62.5%"
    assert kpi["escalation_rate"] == f"{overall['escalation_rate'] * 100:.1f}%"
    assert kpi["override_rate"] == f"{overall['override_rate'] * 100:.1f}%"
    assert kpi["p95_duration_ms"] == f"{overall['p95_duration_ms'] / 1000:.1f} s"
    assert kpi["cost_per_success"] == f"${overall['cost_per_success']:,.4f}"

    seg = _warehouse(
        built["db"],
        "SELECT * FROM scorecard_weekly WHERE week_start = DATE '2026-11-09'"
        f" AND workflow = '{WF}'",
    )
    cells = seen["rows"]["segment"]
    assert cells[:4] == [WF, "eu", "3", f"{seg['success_rate'] * 100:.1f}%"]
    assert cells[3] == "66.7%"
    readings = seen["all"]["readings"]
    assert len(readings) == 11 and all(r.strip() for r in readings)
    assert any("Retry causes: rate_limit leads with 2 of 2 (100.0%)." in r for r in readings)

    assert shot.stat().st_size > 10_000
    record_property("screenshot", str(shot.resolve()))
    print(f"screenshot: {shot.resolve()}")
