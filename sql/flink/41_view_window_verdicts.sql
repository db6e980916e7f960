-- Each window of a workflow judged against the trailing horizon of its history (one keyed
-- operator per workflow; the state is hourly tallies over the baseline horizon).
--   refund_approval 03:55-04:00: verdicts [latency_p95_spike workflow 7206 ms vs 1170 ms p95]
CREATE TEMPORARY VIEW window_verdicts AS
SELECT
  workflow,
  AG_WINDOW_BASELINE(stats, window_start, window_end, {{anomaly_config}})
    OVER (PARTITION BY workflow ORDER BY window_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS verdicts
FROM workflow_windows
