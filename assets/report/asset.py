"""``weekly_report``: one self-contained HTML file per ISO week, and its JSON summary."""

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import orjson

from assets.partitions import weekly
from assets.report import data, page
from assets.resources import Warehouse


class Reports(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the weekly reports are written: ``<path>/<YYYY-Www>.html`` and ``.json``."""

    path: str

    def html(self, week: str) -> Path:
        return Path(self.path) / f"{week}.html"

    def summary(self, week: str) -> Path:
        return Path(self.path) / f"{week}.json"


def _atomic_write(path: Path, content: bytes) -> None:
    """Readers (a browser, the delivery) never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a report is read by others (a web server)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(
    conn: duckdb.DuckDBPyConnection, week_start: date | None, out: Path | None, reports_dir: Path
) -> tuple[Path, dict[str, Any]]:
    """Render the week (default: the latest) to ``out`` (default ``<reports_dir>/<week>.html``),
    with the JSON summary beside it; returns the path and the summary."""
    start = week_start or data.latest_week(conn)
    d = data.load(conn, start)
    target = out or reports_dir / f"{d.iso_week}.html"
    summary = page.summary(d)
    _atomic_write(target, page.render(d).encode("utf-8"))
    _atomic_write(
        target.with_suffix(".json"),
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS),
    )
    return target, summary


@dg.asset(
    deps=list(data.WEEKLY_TABLES),  # materialized in the same run before it
    group_name="report",
    partitions_def=weekly,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="The weekly review leadership reads: one self-contained HTML file per ISO week.",
)
def weekly_report(
    context: dg.AssetExecutionContext, warehouse: Warehouse, reports: Reports
) -> dg.MaterializeResult:
    written: list[str] = []
    with warehouse.connect() as conn:
        for week in context.partition_keys:
            path, _ = write_report(conn, date.fromisoformat(week), None, Path(reports.path))
            written.append(str(path))
    return dg.MaterializeResult(
        metadata={"files": written, "path": dg.MetadataValue.path(written[-1])}
    )
