-- Alerts per ISO week of their first event (event time), workflow and rule, and per 1,000 of
-- the workflow's runs that week (NULL when it had none).
INSERT INTO alerts_weekly
WITH a AS (
  SELECT CAST(date_trunc('week', first_event_ts) AS DATE) AS week_start, workflow, rule,
         count(*) AS alerts
  FROM alerts
  WHERE CAST(date_trunc('week', first_event_ts) AS DATE) = $week_start
  GROUP BY ALL
),
r AS (SELECT workflow, count(*) AS runs FROM runs WHERE week_start = $week_start GROUP BY ALL)
SELECT a.week_start, a.workflow, a.rule, a.alerts, r.runs,
       1000.0 * a.alerts / nullif(r.runs, 0) AS incidents_per_1000_runs
FROM a LEFT JOIN r USING (workflow)
