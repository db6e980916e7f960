-- Tables made before quality and policy violations joined the scorecard.
ALTER TABLE scorecard_weekly ADD COLUMN IF NOT EXISTS policy_violations BIGINT
