-- The windowed rules. Each needs a minimum volume in the window and at least
-- min_baseline_windows of qualifying history, then a jump both in standard deviations (z) and as a ratio to
-- the baseline mean, so that a quiet baseline with a tiny deviation does not page.
--   retry_storm  refund_approval 12:05-12:10 observed 41 retries, threshold 12.0 (4 x 3.0 mean)
CREATE TEMPORARY VIEW window_alerts AS
SELECT 'retry_storm' AS rule_name, 'warning' AS severity, workflow, window_start, window_end,
  first_event_time, CAST(retries AS DOUBLE) AS observed,
  GREATEST({{retry_min}}, {{retry_mult}} * retries_mean) AS threshold
FROM workflow_baselines
WHERE retries_n >= {{min_history}} AND retries >= {{retry_min}}
  AND retries >= {{retry_mult}} * retries_mean
UNION ALL
SELECT 'error_rate_spike', 'critical', workflow, window_start, window_end, first_event_time,
  error_rate, GREATEST(err_mean + {{err_z}} * err_std, {{err_ratio}} * err_mean, {{err_min_rate}})
FROM workflow_baselines
WHERE err_n >= {{min_history}} AND calls >= {{err_min_calls}}
  AND error_rate > err_mean + {{err_z}} * err_std AND error_rate >= {{err_ratio}} * err_mean
  AND error_rate >= {{err_min_rate}}
UNION ALL
SELECT 'latency_p95_spike', 'warning', workflow, window_start, window_end, first_event_time,
  latency_p95, GREATEST(lat_mean + {{lat_z}} * lat_std, {{lat_ratio}} * lat_mean)
FROM workflow_baselines
WHERE lat_n >= {{min_history}} AND model_calls >= {{lat_min_calls}}
  AND latency_p95 > lat_mean + {{lat_z}} * lat_std AND latency_p95 >= {{lat_ratio}} * lat_mean
UNION ALL
SELECT 'cost_rate_spike', 'critical', workflow, window_start, window_end, first_event_time,
  cost_usd, GREATEST(cost_mean + {{cost_z}} * cost_std, {{cost_ratio}} * cost_mean,
    cost_mean + {{cost_min_excess}})
FROM workflow_baselines
WHERE cost_n >= {{min_history}} AND events >= {{cost_min_events}}
  AND cost_usd > cost_mean + {{cost_z}} * cost_std AND cost_usd >= {{cost_ratio}} * cost_mean
  AND cost_usd >= cost_mean + {{cost_min_excess}}
