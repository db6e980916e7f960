DELETE FROM cohort_gate_weekly WHERE week_start = $week_start
