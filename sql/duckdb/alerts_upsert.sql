-- Alerts read from agent-alerts (a JSON-lines file of them, $file); alert_id is the key.
INSERT OR REPLACE INTO alerts
SELECT alert_id, rule, severity, workflow, customer_id, segment, run_id, trace_id, observed,
       threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook,
       level, baseline, window_volume, baseline_volume, p_value, baseline_hours, scope, scope_key,
       reason, actor
FROM read_json($file, format = 'newline_delimited', columns = {
  alert_id: 'VARCHAR', rule: 'VARCHAR', severity: 'VARCHAR', workflow: 'VARCHAR',
  customer_id: 'VARCHAR', segment: 'VARCHAR', run_id: 'VARCHAR', trace_id: 'VARCHAR',
  observed: 'DOUBLE', threshold: 'DOUBLE', window_start: 'TIMESTAMPTZ',
  window_end: 'TIMESTAMPTZ', first_event_ts: 'TIMESTAMPTZ', detected_at: 'TIMESTAMPTZ',
  ceilings_version: 'VARCHAR', runbook: 'VARCHAR', level: 'VARCHAR', baseline: 'DOUBLE',
  window_volume: 'BIGINT', baseline_volume: 'BIGINT', p_value: 'DOUBLE', baseline_hours: 'DOUBLE',
  scope: 'VARCHAR', scope_key: 'VARCHAR', reason: 'VARCHAR', actor: 'VARCHAR'})
WHERE alert_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY alert_id ORDER BY detected_at) = 1
