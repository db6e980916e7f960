-- loop_detected: the same tool with the same args_hash N or more times in one run. One alert per
-- run, on the N-th repeat.
--   {"rule":"loop_detected","run_id":"run-9","observed":5,"threshold":5,...}
CREATE TEMPORARY VIEW alerts_loop_detected (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'loop_detected', run_id)), 1, 32),
  'loop_detected', 'warning', workflow, customer_id, segment, run_id, trace_id,
  CAST(st.loop_repeats AS DOUBLE), CAST({{loop_limit_expr}} AS DOUBLE), CAST(NULL AS STRING), CAST(NULL AS STRING),
  DATE_FORMAT(st.loop_first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/loop_detected.md'
FROM run_state
WHERE st.loop_crossed
