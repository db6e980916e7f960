CREATE TABLE IF NOT EXISTS alerts (
  alert_id VARCHAR PRIMARY KEY, rule VARCHAR, severity VARCHAR, workflow VARCHAR,
  customer_id VARCHAR, segment VARCHAR, run_id VARCHAR, trace_id VARCHAR, observed DOUBLE,
  threshold DOUBLE, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ,
  first_event_ts TIMESTAMPTZ, detected_at TIMESTAMPTZ, ceilings_version VARCHAR, runbook VARCHAR,
  level VARCHAR, baseline DOUBLE, window_volume BIGINT, baseline_volume BIGINT, p_value DOUBLE,
  baseline_hours DOUBLE, scope VARCHAR, scope_key VARCHAR, reason VARCHAR, actor VARCHAR
)
