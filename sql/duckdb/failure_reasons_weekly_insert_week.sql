-- error events of the week's runs, by category
INSERT INTO failure_reasons_weekly
SELECT r.week_start, r.workflow, r.segment, e.category, count(*) AS errors
FROM events e JOIN runs r USING (run_id)
WHERE r.week_start = $week_start AND e.event_type = 'error'
GROUP BY ALL
