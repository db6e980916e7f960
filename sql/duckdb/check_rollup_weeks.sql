-- The scorecard_weekly_rollup rows of the run's weeks ($weeks), for rollup_valid.
SELECT * FROM scorecard_weekly_rollup WHERE week_start IN (SELECT unnest(CAST($weeks AS DATE[])))
