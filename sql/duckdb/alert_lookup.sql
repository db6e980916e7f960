-- Alerts whose id starts with $prefix (on-call may paste a short prefix); at most 2 to tell
-- "ambiguous" from "found".
SELECT alert_id, rule, severity, workflow, customer_id, run_id, detected_at
FROM alerts
WHERE starts_with(alert_id, $prefix)
ORDER BY alert_id
LIMIT 2
