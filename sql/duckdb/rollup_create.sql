CREATE TABLE IF NOT EXISTS scorecard_weekly_rollup AS SELECT * FROM scorecard_stage LIMIT 0
