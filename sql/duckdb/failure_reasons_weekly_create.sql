CREATE TABLE IF NOT EXISTS failure_reasons_weekly (
  week_start DATE, workflow VARCHAR, segment VARCHAR, category VARCHAR, errors BIGINT
)
