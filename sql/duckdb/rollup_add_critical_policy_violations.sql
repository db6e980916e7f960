-- Tables made before quality and policy violations joined the scorecard.
ALTER TABLE scorecard_weekly_rollup ADD COLUMN IF NOT EXISTS critical_policy_violations BIGINT
