-- run_cost_ceiling: the first event that takes a run's cost past its ceiling raises exactly one
-- alert per run (AG_RUN_STATE marks it cost_crossed), as soon as that event is processed.
--   {"rule":"run_cost_ceiling","run_id":"run-1","observed":2.45,"threshold":2.0,...}
CREATE TEMPORARY VIEW alerts_run_cost_ceiling (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'run_cost_ceiling', run_id)), 1, 32),
  'run_cost_ceiling', 'critical', workflow, customer_id, segment, run_id, trace_id,
  st.run_cost, st.cost_ceiling, CAST(NULL AS STRING), CAST(NULL AS STRING),
  DATE_FORMAT(st.first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/run_cost_ceiling.md'
FROM run_state
WHERE st.cost_crossed
