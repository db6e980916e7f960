-- All alerts to agent-alerts, keyed by alert_id. alert_id is a hash of rule, key and window, so a
-- replay yields the same ids; {{replay_filter}} drops the ids already on the topic that a restart
-- from a checkpoint would otherwise send again (see jobs/replay_guard.py). Default: TRUE. The
-- per-run and per-customer rules carry no window evidence (level .. baseline_hours are null).
--   {"alert_id":"3f0c9a...","rule":"run_cost_ceiling","severity":"critical","observed":2.45,...}
INSERT INTO agent_alerts
SELECT *
FROM (
  SELECT *, CAST(NULL AS STRING), CAST(NULL AS DOUBLE), CAST(NULL AS BIGINT),
    CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE)
  FROM (
    SELECT * FROM alerts_run_cost_ceiling
    UNION ALL
    SELECT * FROM alerts_run_tool_call_budget
    UNION ALL
    SELECT * FROM alerts_loop_detected
    UNION ALL
    SELECT * FROM alerts_customer_spend_ceiling
  )
  UNION ALL
  SELECT * FROM alerts_windowed
)
WHERE {{replay_filter}}
