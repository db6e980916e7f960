-- Tables made before quality and policy violations joined the scorecard.
ALTER TABLE scorecard_weekly_rollup ADD COLUMN IF NOT EXISTS quality_pass_rate DOUBLE
