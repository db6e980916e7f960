DELETE FROM failure_reasons_weekly WHERE week_start = $week_start
