-- scorecard_weekly (per workflow and segment) and scorecard_weekly_rollup share these columns.
CREATE TABLE IF NOT EXISTS scorecard_weekly AS SELECT * EXCLUDE (level) FROM scorecard_stage LIMIT 0
