-- run_tool_call_budget: a run's tool_call count passes run_started.max_tool_calls, else the
-- configured limit. One alert per run, on the crossing event.
--   {"rule":"run_tool_call_budget","run_id":"run-9","observed":21,"threshold":20,...}
CREATE TEMPORARY VIEW alerts_run_tool_call_budget (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'run_tool_call_budget', run_id)), 1, 32),
  'run_tool_call_budget', 'warning', workflow, customer_id, segment, run_id, trace_id,
  CAST(run_tool_calls AS DOUBLE), CAST(tool_limit AS DOUBLE), CAST(NULL AS STRING),
  CAST(NULL AS STRING),
  DATE_FORMAT(first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/run_tool_call_budget.md'
FROM (
  SELECT
    run_id, trace_id, workflow, customer_id, segment, run_tool_calls, tool_limit,
    first_event_time,
    COUNT(*) OVER (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS nth
  FROM run_progress
  WHERE event_type = 'tool_call' AND run_tool_calls > tool_limit
)
WHERE nth = 1
