-- Sink: alerts, keyed by alert_id (docs/alerts.md). level .. baseline_hours are the evidence of the
-- windowed rules (null for the others); scope .. actor describe breaker_opened records.
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
  baseline_hours DOUBLE,
  `scope` STRING,
  scope_key STRING,
  reason STRING,
  actor STRING
) WITH ({{alerts_options}})
