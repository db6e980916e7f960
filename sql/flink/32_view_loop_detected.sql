-- loop_detected: the same tool with the same args_hash N or more times in one run. One alert per
-- run, on the N-th repeat.
--   {"rule":"loop_detected","run_id":"run-9","observed":5,"threshold":5,...}
CREATE TEMPORARY VIEW alerts_loop_detected (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'loop_detected', run_id)), 1, 32),
  'loop_detected', 'warning', workflow, customer_id, segment, run_id, trace_id,
  CAST(repeats AS DOUBLE), CAST(loop_limit AS DOUBLE), CAST(NULL AS STRING), CAST(NULL AS STRING),
  DATE_FORMAT(first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/loop_detected.md'
FROM (
  SELECT
    run_id, trace_id, workflow, customer_id, segment, repeats, loop_limit, first_event_time,
    COUNT(*) OVER (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS nth
  FROM (
    SELECT
      run_id, trace_id, workflow, customer_id, segment, proc_time,
      {{loop_limit_expr}} AS loop_limit,
      COUNT(*) OVER w AS repeats,
      MIN(event_time) OVER w AS first_event_time
    FROM unique_events
    WHERE event_type = 'tool_call' AND args_hash IS NOT NULL
    WINDOW w AS (PARTITION BY run_id, tool, args_hash ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  )
  WHERE repeats >= loop_limit
)
WHERE nth = 1
