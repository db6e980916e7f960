-- run_time_budget: a run's events go on past its time budget: from its first to its latest event
-- time more than run_started.max_duration_s, else the configured run_duration_s (no limit unless
-- one is set). One alert per run, on the first event past it.
--   {"rule":"run_time_budget","run_id":"run-5","observed":312.4,"threshold":300,...}
CREATE TEMPORARY VIEW alerts_run_time_budget (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'run_time_budget', run_id)), 1, 32),
  'run_time_budget', 'warning', workflow, customer_id, segment, run_id, trace_id,
  st.elapsed_s, st.duration_limit, CAST(NULL AS STRING), CAST(NULL AS STRING),
  DATE_FORMAT(st.first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/run_time_budget.md'
FROM run_state
WHERE st.duration_crossed
