-- Windowed alerts, one per rule, workflow and window; the id is stable across replays.
--   {"rule":"retry_storm","workflow":"refund_approval","window_start":"2026-11-16T12:05:00.000Z",...}
CREATE TEMPORARY VIEW alerts_windowed (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', rule_name, workflow, DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss'))), 1, 32),
  rule_name, severity, workflow, CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING),
  CAST(NULL AS STRING), observed, threshold,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, CONCAT('docs/runbooks/', rule_name, '.md')
FROM window_alerts
