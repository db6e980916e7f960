-- run_tool_call_budget: a run's tool_call count passes run_started.max_tool_calls, else the
-- configured limit. One alert per run, on the crossing event.
--   {"rule":"run_tool_call_budget","run_id":"run-9","observed":21,"threshold":20,...}
CREATE TEMPORARY VIEW alerts_run_tool_call_budget (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'run_tool_call_budget', run_id)), 1, 32),
  'run_tool_call_budget', 'warning', workflow, customer_id, segment, run_id, trace_id,
  CAST(st.tool_calls AS DOUBLE), CAST(st.tool_limit AS DOUBLE), CAST(NULL AS STRING),
  CAST(NULL AS STRING),
  DATE_FORMAT(st.first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/run_tool_call_budget.md'
FROM run_state
WHERE st.tool_crossed
