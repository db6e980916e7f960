DELETE FROM alerts_weekly WHERE week_start = $week_start
