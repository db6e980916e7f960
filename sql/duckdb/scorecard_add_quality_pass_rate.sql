-- Tables made before quality and policy violations joined the scorecard.
ALTER TABLE scorecard_weekly ADD COLUMN IF NOT EXISTS quality_pass_rate DOUBLE
