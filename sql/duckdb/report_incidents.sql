-- The week's alerts by rule: per 1,000 of all the week's runs, with acknowledge and resolve
-- times (alerts_weekly; breaker records are counted on their own, report_breakers.sql).
SELECT a.rule, CAST(sum(a.alerts) AS BIGINT) AS alerts,
       1000.0 * sum(a.alerts) / nullif(any_value(t.runs), 0) AS incidents_per_1000_runs,
       CAST(sum(a.acknowledged) AS BIGINT) AS acknowledged,
       median(a.median_minutes_to_ack) AS median_minutes_to_ack,
       CAST(sum(a.resolved) AS BIGINT) AS resolved,
       median(a.median_minutes_to_resolve) AS median_minutes_to_resolve
FROM alerts_weekly a
CROSS JOIN (SELECT count(*) AS runs FROM runs WHERE week_start = $week_start) t
WHERE a.week_start = $week_start AND a.rule NOT IN ('breaker_opened', 'breaker_released')
GROUP BY a.rule
ORDER BY alerts DESC, a.rule
