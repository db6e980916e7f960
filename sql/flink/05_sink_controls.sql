-- Sink: breaker changes on agent-controls, keyed by "<scope>:<key>" (a compacted topic: the newest
-- record of each breaker stays; streams/controls.py folds it; docs/breaker.md).
--   {"control_key":"customer:cust-7","action":"opened","scope":"customer","key":"cust-7",
--    "reason":"customer_spend_ceiling: 25.31 > 25.0","alert_id":"9c1f...","until":"...T13:00:00.000Z"}
CREATE TABLE agent_controls (
  control_key STRING,
  action STRING,
  `scope` STRING,
  `key` STRING,
  reason STRING,
  alert_id STRING,
  opened_at STRING,
  until STRING,
  actor STRING
) WITH ({{controls_options}})
