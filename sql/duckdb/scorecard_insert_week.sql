INSERT INTO scorecard_weekly BY NAME
SELECT * EXCLUDE (level) FROM scorecard_stage WHERE level = 'segment'
