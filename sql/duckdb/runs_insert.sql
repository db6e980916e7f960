-- One row per finished run (docs/scorecard.md). A run counts in the ISO week of its earliest
-- run_finished; workflow and segment come from that event; cost is over all of its events.
-- Reads `runs_events` (runs_source_all.sql: every event; runs_source_affected.sql: the events of
-- the runs a changed lake day touched), so the same statement rebuilds or updates.
INSERT INTO runs BY NAME
WITH finished AS (
  SELECT run_id, ts AS finished_ts, status, workflow, segment, duration_ms AS reported_duration_ms,
         quality_score
  FROM runs_events
  WHERE event_type = 'run_finished'
  QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY ts, event_id) = 1
),
started AS (
  SELECT run_id, min(ts) AS started_ts
  FROM runs_events WHERE event_type = 'run_started' GROUP BY run_id
),
first_versions AS (
  -- the earliest run_started's versions, else the earliest event's
  SELECT run_id, prompt_version, policy_version, cohort, customer_id
  FROM runs_events
  QUALIFY row_number() OVER (
    PARTITION BY run_id ORDER BY (event_type = 'run_started') DESC, ts, event_id) = 1
),
agg AS (
  SELECT
    run_id,
    -- Sums of money in exact decimals: a float sum depends on the order DuckDB's threads add
    -- in, and a rebuild must give the same bytes.
    CAST(coalesce(sum(CAST(cost_usd AS DECIMAL(38, 12))), 0) AS DOUBLE) AS cost_usd,
    CAST(coalesce(sum(CAST(cost_usd AS DECIMAL(38, 12))) FILTER (
      WHERE event_type IN ('model_call', 'tool_call') AND attempt >= 2), 0) AS DOUBLE)
      AS retry_cost_usd,
    count(*) FILTER (WHERE event_type = 'retry') AS retries,
    count(*) FILTER (WHERE event_type = 'tool_call') AS tool_calls,
    count(*) FILTER (WHERE event_type = 'escalation') > 0 AS had_escalation_event,
    count(*) FILTER (WHERE event_type = 'human_review' AND outcome = 'overridden') > 0 AS overridden,
    count(*) FILTER (WHERE event_type = 'error') AS errors,
    count(*) FILTER (WHERE event_type = 'error' AND category = 'policy_violation') AS policy_violations,
    count(*) FILTER (WHERE event_type = 'error' AND category = 'policy_violation'
                     AND fatal) AS critical_policy_violations
  FROM runs_events GROUP BY run_id
)
SELECT
  f.run_id,
  CAST(date_trunc('week', f.finished_ts) AS DATE) AS week_start,
  f.finished_ts,
  f.workflow,
  f.segment,
  v.customer_id,
  v.cohort,
  f.status,
  coalesce(f.reported_duration_ms,
           CAST(epoch_ms(f.finished_ts) - epoch_ms(s.started_ts) AS DOUBLE)) AS duration_ms,
  a.cost_usd,
  a.retry_cost_usd,
  a.retries,
  a.tool_calls,
  a.errors,
  a.had_escalation_event OR f.status = 'escalated' AS escalated,
  a.overridden,
  v.prompt_version,
  v.policy_version,
  f.quality_score,
  a.policy_violations,
  a.critical_policy_violations
FROM finished f
JOIN agg a USING (run_id)
JOIN first_versions v USING (run_id)
LEFT JOIN started s USING (run_id)
