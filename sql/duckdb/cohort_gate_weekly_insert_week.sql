-- Canary against control; gate: canary escalation <= control + 0.05 and canary success >=
-- control - 0.05 (NULL when either cohort has no runs that week).
INSERT INTO cohort_gate_weekly
SELECT
  week_start, workflow, canary_runs, control_runs,
  canary_success_rate, control_success_rate, canary_escalation_rate, control_escalation_rate,
  canary_override_rate, control_override_rate,
  CASE WHEN canary_runs > 0 AND control_runs > 0 THEN
    canary_escalation_rate <= control_escalation_rate + 0.05
    AND canary_success_rate >= control_success_rate - 0.05
  END AS gate_pass
FROM (
  SELECT
    week_start, workflow,
    count(*) FILTER (WHERE cohort = 'canary') AS canary_runs,
    count(*) FILTER (WHERE cohort = 'control') AS control_runs,
    avg(CAST(status = 'success' AS DOUBLE)) FILTER (WHERE cohort = 'canary') AS canary_success_rate,
    avg(CAST(status = 'success' AS DOUBLE)) FILTER (WHERE cohort = 'control') AS control_success_rate,
    avg(CAST(escalated AS DOUBLE)) FILTER (WHERE cohort = 'canary') AS canary_escalation_rate,
    avg(CAST(escalated AS DOUBLE)) FILTER (WHERE cohort = 'control') AS control_escalation_rate,
    avg(CAST(overridden AS DOUBLE)) FILTER (WHERE cohort = 'canary') AS canary_override_rate,
    avg(CAST(overridden AS DOUBLE)) FILTER (WHERE cohort = 'control') AS control_override_rate
  FROM runs WHERE week_start = $week_start
  GROUP BY week_start, workflow
)
