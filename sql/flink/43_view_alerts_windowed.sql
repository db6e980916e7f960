-- Windowed alerts, one per rule, workflow, level and window, with their evidence; the id is stable
-- across replays (a workflow-level id hashes the same three parts as before segments existed).
--   {"rule":"error_rate_spike","workflow":"refund_approval","level":"segment","segment":"smb",
--    "observed":0.41,"threshold":0.11,"baseline":0.024,"window_volume":61,
--    "baseline_volume":5210,"p_value":3.1e-19,"baseline_hours":24.0,...}
CREATE TEMPORARY VIEW alerts_windowed (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook,
  level, baseline, window_volume, baseline_volume, p_value, baseline_hours) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', rule_name, workflow, segment, DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss'))), 1, 32),
  rule_name, severity, workflow, CAST(NULL AS STRING), segment, CAST(NULL AS STRING),
  CAST(NULL AS STRING), observed, threshold,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, CONCAT('docs/runbooks/', rule_name, '.md'),
  level, baseline, window_volume, baseline_volume, p_value, baseline_hours
FROM window_alerts
