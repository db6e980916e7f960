-- Leadership's view: every level of every week (segment rows, workflow rollups with segment
-- 'ALL', the overall row with workflow 'ALL'), with week-over-week deltas and the drift flag.
CREATE OR REPLACE VIEW scorecard AS
SELECT s.*, d.d_success_rate, d.d_failure_rate, d.d_escalation_rate, d.d_override_rate,
       d.d_retry_rate, d.cost_psi, d.duration_psi, d.drift_flag
FROM (
  SELECT 'segment' AS level, * FROM scorecard_weekly
  UNION ALL
  SELECT level, * EXCLUDE (level) FROM scorecard_weekly_rollup
) s
LEFT JOIN drift_weekly d USING (week_start, workflow, segment)
