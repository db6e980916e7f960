-- Each window next to the mean and standard deviation of the previous N windows of the same
-- workflow. A window only counts towards a metric's baseline when it has that rule's minimum
-- volume, so a thin window (or the thin first minutes of an incident) cannot skew it.
-- Flink's OVER frames end at CURRENT ROW, so the frame holds N+1 rows and the current row is
-- subtracted out of the sums: mean = (S - x) / n, var = (Q - x^2) / n - mean^2.
--   refund_approval 03:55: latency_p95 7206, lat_mean 1170, lat_std 140, lat_n 12
CREATE TEMPORARY VIEW workflow_baselines AS
SELECT
  workflow, window_start, window_end, first_event_time, events, calls, model_calls, retries,
  error_rate, latency_p95, cost_usd,
  n_all - 1 AS retries_n,
  (s_retries - retries) / NULLIF(n_all - 1, 0) AS retries_mean,
  n_err - IF(err_q IS NULL, 0, 1) AS err_n,
  (s_err - COALESCE(err_q, 0)) / NULLIF(n_err - IF(err_q IS NULL, 0, 1), 0) AS err_mean,
  SQRT(GREATEST((q_err - COALESCE(err_q * err_q, 0)) / NULLIF(n_err - IF(err_q IS NULL, 0, 1), 0) - POWER((s_err - COALESCE(err_q, 0)) / NULLIF(n_err - IF(err_q IS NULL, 0, 1), 0), 2), 0)) AS err_std,
  n_lat - IF(lat_q IS NULL, 0, 1) AS lat_n,
  (s_lat - COALESCE(lat_q, 0)) / NULLIF(n_lat - IF(lat_q IS NULL, 0, 1), 0) AS lat_mean,
  SQRT(GREATEST((q_lat - COALESCE(lat_q * lat_q, 0)) / NULLIF(n_lat - IF(lat_q IS NULL, 0, 1), 0) - POWER((s_lat - COALESCE(lat_q, 0)) / NULLIF(n_lat - IF(lat_q IS NULL, 0, 1), 0), 2), 0)) AS lat_std,
  n_cost - IF(cost_q IS NULL, 0, 1) AS cost_n,
  (s_cost - COALESCE(cost_q, 0)) / NULLIF(n_cost - IF(cost_q IS NULL, 0, 1), 0) AS cost_mean,
  SQRT(GREATEST((q_cost - COALESCE(cost_q * cost_q, 0)) / NULLIF(n_cost - IF(cost_q IS NULL, 0, 1), 0) - POWER((s_cost - COALESCE(cost_q, 0)) / NULLIF(n_cost - IF(cost_q IS NULL, 0, 1), 0), 2), 0)) AS cost_std
FROM (
  SELECT
    *,
    COUNT(*) OVER b AS n_all,
    CAST(SUM(retries) OVER b AS DOUBLE) AS s_retries,
    COUNT(err_q) OVER b AS n_err,
    COALESCE(SUM(err_q) OVER b, 0) AS s_err,
    COALESCE(SUM(err_q * err_q) OVER b, 0) AS q_err,
    COUNT(lat_q) OVER b AS n_lat,
    COALESCE(SUM(lat_q) OVER b, 0) AS s_lat,
    COALESCE(SUM(lat_q * lat_q) OVER b, 0) AS q_lat,
    COUNT(cost_q) OVER b AS n_cost,
    COALESCE(SUM(cost_q) OVER b, 0) AS s_cost,
    COALESCE(SUM(cost_q * cost_q) OVER b, 0) AS q_cost
  FROM (
    SELECT
      workflow, window_start, window_end, window_time, first_event_time, events, calls,
      model_calls, retries, cost_usd, error_rate, latency_p95,
      IF(calls >= {{err_min_calls}}, error_rate, CAST(NULL AS DOUBLE)) AS err_q,
      IF(model_calls >= {{lat_min_calls}}, latency_p95, CAST(NULL AS DOUBLE)) AS lat_q,
      IF(events >= {{cost_min_events}}, cost_usd, CAST(NULL AS DOUBLE)) AS cost_q
    FROM (
      SELECT
        workflow, window_start, window_end, window_time, first_event_time, events, calls,
        model_calls, retries, cost_usd,
        CAST(errors AS DOUBLE) / GREATEST(calls, 1) AS error_rate,
        COALESCE(latency_p95, 0.0) AS latency_p95
      FROM workflow_windows
    )
  )
  WINDOW b AS (PARTITION BY workflow ORDER BY window_time ROWS BETWEEN {{baseline_windows}} PRECEDING AND CURRENT ROW)
)
