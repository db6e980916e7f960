-- The week's canary gate per workflow (cohort_gate_weekly).
SELECT workflow, canary_runs, control_runs, canary_success_rate, control_success_rate,
       canary_escalation_rate, control_escalation_rate, gate_pass
FROM cohort_gate_weekly
WHERE week_start = $week_start
ORDER BY workflow
