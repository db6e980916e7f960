DELETE FROM scorecard_weekly_rollup WHERE week_start = $week_start
