CREATE TABLE IF NOT EXISTS alerts_weekly (
  week_start DATE, workflow VARCHAR, rule VARCHAR, alerts BIGINT, runs BIGINT,
  incidents_per_1000_runs DOUBLE, acknowledged BIGINT, median_minutes_to_ack DOUBLE,
  resolved BIGINT, median_minutes_to_resolve DOUBLE
)
