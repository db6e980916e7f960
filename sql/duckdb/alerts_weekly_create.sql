CREATE TABLE IF NOT EXISTS alerts_weekly (
  week_start DATE, workflow VARCHAR, rule VARCHAR, alerts BIGINT, runs BIGINT,
  incidents_per_1000_runs DOUBLE
)
