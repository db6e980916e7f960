-- The week's top 10 retry causes: retry events of the week's runs by their reason.
SELECT coalesce(e.reason, '(none given)') AS reason, count(*) AS retries,
       count(DISTINCT e.run_id) AS runs
FROM events e JOIN runs r USING (run_id)
WHERE r.week_start = $week_start AND e.event_type = 'retry'
GROUP BY ALL
ORDER BY retries DESC, reason
LIMIT 10
