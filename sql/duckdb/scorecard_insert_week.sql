INSERT INTO scorecard_weekly
SELECT * EXCLUDE (level) FROM scorecard_stage WHERE level = 'segment'
