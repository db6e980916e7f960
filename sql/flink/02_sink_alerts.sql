-- Sink: alerts, keyed by alert_id (docs/alerts.md). The last six columns are the evidence of the
-- windowed rules (null for the others).
--   {"alert_id":"3f0c...","rule":"run_cost_ceiling","severity":"critical","run_id":"run-1",
--    "observed":2.41,"threshold":2.0,"ceilings_version":"2026-11-16.1",...}
CREATE TABLE agent_alerts (
  alert_id STRING,
  `rule` STRING,
  severity STRING,
  workflow STRING,
  customer_id STRING,
  segment STRING,
  run_id STRING,
  trace_id STRING,
  observed DOUBLE,
  threshold DOUBLE,
  window_start STRING,
  window_end STRING,
  first_event_ts STRING,
  detected_at STRING,
  ceilings_version STRING,
  runbook STRING,
  level STRING,
  baseline DOUBLE,
  window_volume BIGINT,
  baseline_volume BIGINT,
  p_value DOUBLE,
  baseline_hours DOUBLE
) WITH ({{alerts_options}})
