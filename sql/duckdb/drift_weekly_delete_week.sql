DELETE FROM drift_weekly WHERE week_start = $week_start
