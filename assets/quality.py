"""Great Expectations 1.x suites run on pandas frames, reported as Dagster asset check results.

GX 1.x has no Polars support and dagster-ge is pinned below 1.0, so the suites are built in code
here and the frame is converted at the check's edge. GX is imported lazily: it is slow to import.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import dagster as dg
import pandas as pd


@functools.cache
def _ctx() -> Any:
    """One ephemeral GX context per process, with a pandas data source for the frames."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context: Any = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
    context.data_sources.get("frames").get_asset("frame").add_batch_definition_whole_dataframe(
        "all"
    )
    return context


def _batch(df: pd.DataFrame) -> Any:
    asset = _ctx().data_sources.get("frames").get_asset("frame")
    return asset.get_batch_definition("all").get_batch(batch_parameters={"dataframe": df})


def run_suite(
    name: str,
    df: pd.DataFrame,
    expectations: list[Any],
    *,
    asset_key: dg.AssetKey | None = None,
    blocking_severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """Validate ``df``; the result's metadata lists each failing expectation with samples."""
    import great_expectations as gx

    if df.empty:
        return dg.AssetCheckResult(
            check_name=name,
            passed=True,
            asset_key=asset_key,
            metadata={"rows": 0, "note": "no rows to check"},
        )
    _ctx()
    suite = gx.ExpectationSuite(name=name)
    for e in expectations:
        suite.add_expectation(e)
    result = _batch(df).validate(suite, result_format="SUMMARY")
    failures = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        failures.append(
            {
                "expectation": cfg.type,
                "kwargs": {k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                "unexpected_count": r.result.get("unexpected_count"),
                "unexpected_sample": [
                    str(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]
                ],
            }
        )
    metadata: dict[str, Any] = {
        "rows": len(df),
        "expectations": len(expectations),
        "failed_expectations": dg.MetadataValue.json(failures),
    }
    if failures:
        metadata["sample_rows"] = dg.MetadataValue.md(df.head(5).to_markdown(index=False))
    return dg.AssetCheckResult(
        check_name=name,
        passed=not failures,
        asset_key=asset_key,
        metadata=metadata,
        severity=blocking_severity,
    )
