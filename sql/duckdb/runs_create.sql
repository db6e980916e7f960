-- One row per finished run (runs_insert.sql fills it).
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR,
  week_start DATE,
  finished_ts TIMESTAMPTZ,
  workflow VARCHAR,
  segment VARCHAR,
  customer_id VARCHAR,
  cohort VARCHAR,
  status VARCHAR,
  duration_ms DOUBLE,
  cost_usd DOUBLE,
  retry_cost_usd DOUBLE,
  retries BIGINT,
  tool_calls BIGINT,
  errors BIGINT,
  escalated BOOLEAN,
  overridden BOOLEAN,
  prompt_version VARCHAR,
  policy_version VARCHAR,
  quality_score DOUBLE,
  policy_violations BIGINT,
  critical_policy_violations BIGINT
)
