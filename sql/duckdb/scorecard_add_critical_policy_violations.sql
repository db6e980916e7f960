-- Tables made before quality and policy violations joined the scorecard.
ALTER TABLE scorecard_weekly ADD COLUMN IF NOT EXISTS critical_policy_violations BIGINT
