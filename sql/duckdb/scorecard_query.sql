-- Leadership's view: the segment rows and the rollups of one week (default: the latest), with
-- the week-over-week deltas and drift flag of drift_weekly. Filters are optional ($... IS NULL).
SELECT s.*, d.d_success_rate, d.d_failure_rate, d.d_escalation_rate, d.d_override_rate,
       d.d_retry_rate, d.cost_psi, d.duration_psi, d.drift_flag
FROM (
  SELECT * FROM scorecard_weekly
  UNION ALL
  SELECT * EXCLUDE (level) FROM scorecard_weekly_rollup
) s
LEFT JOIN drift_weekly d USING (week_start, workflow, segment)
WHERE s.week_start = coalesce($week, (SELECT max(week_start) FROM scorecard_weekly))
  AND ($workflow IS NULL OR s.workflow = $workflow)
  AND ($segment IS NULL OR s.segment = $segment)
ORDER BY s.workflow = 'ALL', s.workflow, s.segment = 'ALL', s.segment
