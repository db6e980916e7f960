"""The set-based checks give GX's own results: the same expectations, run by GX 1.x on pandas
over the same rows, agree on success, unexpected_count and the unexpected values."""

from __future__ import annotations

from typing import Any

import great_expectations as gx
import pandas as pd

from assets import _db as q
from assets.quality import Expectation, evaluate_text, expect
from assets.raw_events import _expectations as raw_expectations
from assets.scorecards import _rollup_expectations, _scorecard_expectations

EVENTS = """
SELECT * FROM (VALUES
  ('e1', 'model_call', 'wf', 'ok', 0.5, 10, 1.0, 'r1', 1.7e9),
  ('e2', 'tool_call', 'wf', 'ok', -0.25, 3, 2.0, 'r1', 1.7e9),
  ('e2', 'bogus', NULL, 'weird', 1.0, -7, NULL, 'r2', 1.0e9),
  ('e3', 'run_finished', 'wf', 'success', NULL, NULL, -1.0, NULL, 1.7e9),
  ('e4', 'retry', 'wf', NULL, 0.0, 0, 0.0, 'r3', 9.9e12)
) AS t(event_id, event_type, workflow, status, cost_usd, input_tokens, latency_ms, run_id,
       ts_epoch_s)
"""

# Pair columns are floats: GX's pandas engine raises on a nullable integer's NA.
SCORECARD = """
SELECT * FROM (VALUES
  (0.5, 1.2, 10, 100.0, 200.0, 3.0, 3.0, 0.0),
  (NULL, 0.9, 0, 300.0, 200.0, 4.0, 5.0, 0.5),
  (-0.1, 0.1, 2, NULL, 50.0, 6.0, NULL, 1e-9),
  (1.0, 0.0, 1, 10.0, NULL, NULL, NULL, 2e-6)
) AS t(success_rate, failure_rate, runs, p95_duration_ms, p50_duration_ms, rollup_runs,
       segment_runs, cost_abs_diff)
"""


def _gx(df: pd.DataFrame, expectations: list[Expectation]) -> list[Any]:
    context: Any = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("t").add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": df}
    )
    suite = gx.ExpectationSuite(name="reference")
    for e in expectations:
        suite.add_expectation(e.to_gx())
    return list(batch.validate(suite, result_format="SUMMARY").results)


def _norm(v: Any) -> str:
    """A value as both engines report it (DuckDB: Decimal, tuples; pandas: numpy floats)."""
    if isinstance(v, tuple | list):
        return str(tuple(_norm(x) for x in v))
    if v is None or (isinstance(v, float) and v != v):
        return "missing"  # DuckDB's NULL, pandas' NaN
    try:
        return repr(float(v))
    except (TypeError, ValueError):
        return str(v)


def _agree(text: str, expectations: list[Expectation]) -> int:
    conn = q.connect_utc()
    rows, ours, sample = evaluate_text(conn, text, {}, expectations)
    ref = _gx(conn.execute(text).df(), expectations)
    assert rows == len(conn.execute(text).fetchall())

    def key(kind: str, kw: dict[str, Any]) -> str:
        return f"{kind}{sorted((k, _norm(v)) for k, v in kw.items() if k != 'batch_id')}"

    by_key = {key(r.expectation_config.type, r.expectation_config.kwargs): r for r in ref}
    assert len(by_key) == len(ours) == len(expectations)
    failed = 0
    for mine in ours:
        theirs = by_key[key(mine.type, mine.kwargs)]
        assert mine.success == theirs.success, (mine, theirs.result)
        assert mine.unexpected_count == theirs.result["unexpected_count"], (mine, theirs.result)
        want = theirs.result.get("partial_unexpected_list") or []
        assert sorted(map(_norm, mine.partial_unexpected_list)) == sorted(map(_norm, want)), mine
        failed += not mine.success
    assert (sample is None) == (failed == 0)
    return failed


def test_contract_expectations_agree_with_gx() -> None:
    expectations = [
        e
        for e in raw_expectations()
        if e.kwargs.get("column")
        in (
            "event_id",
            "event_type",
            "workflow",
            "status",
            "cost_usd",
            "input_tokens",
            "latency_ms",
            "run_id",
            "ts_epoch_s",
        )
    ]
    assert _agree(EVENTS, expectations) >= 7  # every kind fails somewhere above


def test_scorecard_and_pair_expectations_agree_with_gx() -> None:
    expectations = [
        e
        for e in [*_scorecard_expectations(), *_rollup_expectations()]
        if set(e.kwargs) & {"column", "column_A"}
        and {e.kwargs.get(k) for k in ("column", "column_A", "column_B")}
        <= {
            None,
            "success_rate",
            "failure_rate",
            "runs",
            "p95_duration_ms",
            "p50_duration_ms",
            "rollup_runs",
            "segment_runs",
            "cost_abs_diff",
        }
    ]
    assert {e.type for e in expectations} >= {
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
    assert _agree(SCORECARD, expectations) >= 4
    assert _agree(SCORECARD.replace("-0.1", "0.1").replace("NULL, 0.9", "0.2, 0.9"), []) == 0


def test_many_bound_values_and_a_late_failure() -> None:
    """Twelve bounds (parameters $p0..$p11): the sample query of the last one binds only its own."""
    checks = [expect.ExpectColumnValuesToBeBetween(column="x", min_value=-i) for i in range(11)]
    checks.append(expect.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=1))
    assert _agree("SELECT * FROM (VALUES (0.5), (2.0), (NULL)) AS t(x)", checks) == 1
