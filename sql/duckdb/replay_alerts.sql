-- The alerts of a session: its runs ($run_ids) or its trace ($trace_id), in detection order.
SELECT * FROM alerts
WHERE run_id IN (SELECT unnest($run_ids)) OR trace_id = $trace_id
ORDER BY detected_at
