-- All alerts to agent-alerts, keyed by alert_id, and a breaker_opened record for each breaker
-- the job opens. alert_id is a hash of rule, key and window, so a replay yields the same ids;
-- {{replay_filter}} drops the ids already on the topic that a restart from a checkpoint would
-- otherwise send again (see jobs/replay_guard.py). Default: TRUE. The per-run and per-customer
-- rules carry no window evidence (level .. baseline_hours are null), and only breaker records
-- carry scope .. actor.
--   {"alert_id":"3f0c9a...","rule":"run_cost_ceiling","severity":"critical","observed":2.45,...}
INSERT INTO agent_alerts
SELECT *
FROM (
  SELECT *, CAST(NULL AS STRING), CAST(NULL AS DOUBLE), CAST(NULL AS BIGINT),
    CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS STRING),
    CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING)
  FROM alerts_stopping
  UNION ALL
  SELECT *, CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS STRING),
    CAST(NULL AS STRING)
  FROM alerts_windowed
  UNION ALL
  SELECT
    SUBSTR(SHA256(CONCAT_WS('|', 'breaker_opened', `scope`, scope_key, alert_id)), 1, 32),
    'breaker_opened', 'warning', workflow, customer_id, segment, run_id, trace_id,
    CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), opened_at, until, CAST(NULL AS STRING), opened_at,
    {{ceilings_version}}, 'docs/breaker.md', CAST(NULL AS STRING), CAST(NULL AS DOUBLE),
    CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
    `scope`, scope_key, reason, 'agentgauge-job'
  FROM breakers_opened
)
WHERE {{replay_filter}}
