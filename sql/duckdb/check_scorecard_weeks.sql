-- The scorecard_weekly rows of the run's weeks ($weeks), for scorecard_valid.
SELECT * FROM scorecard_weekly WHERE week_start IN (SELECT unnest(CAST($weeks AS DATE[])))
