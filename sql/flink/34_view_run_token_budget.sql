-- run_token_budget: a run's model-call tokens (input + output) pass run_started.max_tokens, else the
-- configured run_tokens (no limit unless one is set). One alert per run, on the crossing event.
--   {"rule":"run_token_budget","run_id":"run-4","observed":201344,"threshold":200000,...}
CREATE TEMPORARY VIEW alerts_run_token_budget (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'run_token_budget', run_id)), 1, 32),
  'run_token_budget', 'warning', workflow, customer_id, segment, run_id, trace_id,
  CAST(st.tokens AS DOUBLE), CAST(st.token_limit AS DOUBLE), CAST(NULL AS STRING), CAST(NULL AS STRING),
  DATE_FORMAT(st.first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/run_token_budget.md'
FROM run_state
WHERE st.token_crossed
