-- The week's segment rows with their drift (week-over-week delta, PSI, flag).
SELECT s.workflow, s.segment, s.runs, s.success_rate, s.escalation_rate, s.override_rate,
       s.p95_duration_ms, s.cost_per_success, d.d_success_rate, d.cost_psi, d.duration_psi,
       coalesce(d.drift_flag, false) AS drift_flag
FROM scorecard_weekly s
LEFT JOIN drift_weekly d USING (week_start, workflow, segment)
WHERE s.week_start = $week_start
ORDER BY s.workflow, s.segment
