DELETE FROM scorecard_weekly WHERE week_start = $week_start
