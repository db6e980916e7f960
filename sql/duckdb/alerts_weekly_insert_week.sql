-- Alerts per ISO week of their first event (event time), workflow and rule, and per 1,000 of
-- the workflow's runs that week (NULL when it had none). Time to acknowledge runs from the
-- alert's detected_at to its first ack (or resolve, when nobody acked first); NULL when none.
INSERT INTO alerts_weekly
WITH acts AS (
  SELECT alert_id, min(acted_at) AS acked_at,
         min(acted_at) FILTER (WHERE action = 'resolve') AS resolved_at
  FROM alert_actions
  GROUP BY alert_id
),
a AS (
  SELECT CAST(date_trunc('week', first_event_ts) AS DATE) AS week_start, workflow, rule,
         count(*) AS alerts,
         count(acts.acked_at) AS acknowledged,
         median(epoch(acts.acked_at - alerts.detected_at) / 60.0) AS median_minutes_to_ack,
         count(acts.resolved_at) AS resolved,
         median(epoch(acts.resolved_at - alerts.detected_at) / 60.0) AS median_minutes_to_resolve
  FROM alerts LEFT JOIN acts USING (alert_id)
  WHERE CAST(date_trunc('week', first_event_ts) AS DATE) = $week_start
  GROUP BY ALL
),
r AS (SELECT workflow, count(*) AS runs FROM runs WHERE week_start = $week_start GROUP BY ALL)
SELECT a.week_start, a.workflow, a.rule, a.alerts, r.runs,
       1000.0 * a.alerts / nullif(r.runs, 0) AS incidents_per_1000_runs,
       a.acknowledged, a.median_minutes_to_ack, a.resolved, a.median_minutes_to_resolve
FROM a LEFT JOIN r USING (workflow)
