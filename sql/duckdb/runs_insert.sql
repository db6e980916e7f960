-- One row per finished run (docs/scorecard.md). A run counts in the ISO week of its earliest
-- run_finished; workflow and segment come from that event; cost is over all of its events.
-- Reads `runs_events` (runs_source_all.sql: every event; runs_source_affected.sql: the events of
-- the runs a changed lake day touched), so the same statement rebuilds or updates.
-- One hash aggregation by run_id: "the earliest X" is arg_min over (ts, event_id), which is
-- unique, so ties cannot arise (three times faster than window functions, which sort every
-- event by run: 7 s at 10M events).
-- Example: run r1 with run_started (p-v1) and two run_finished (10:00 'success', 10:05
-- 'failure') -> one row, status 'success', prompt_version 'p-v1', week of 10:00.
INSERT INTO runs BY NAME
WITH agg AS (
  SELECT
    run_id,
    arg_min(
      {'ts': ts, 'status': status, 'workflow': workflow, 'segment': segment,
       'duration_ms': duration_ms, 'quality_score': quality_score},
      {'ts': ts, 'event_id': event_id}
    ) FILTER (WHERE event_type = 'run_finished') AS f,
    min(ts) FILTER (WHERE event_type = 'run_started') AS started_ts,
    -- the earliest run_started's versions, else the earliest event's
    arg_min(
      {'prompt_version': prompt_version, 'policy_version': policy_version, 'cohort': cohort,
       'customer_id': customer_id},
      {'not_started': event_type <> 'run_started', 'ts': ts, 'event_id': event_id}
    ) AS v,
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
  HAVING count(*) FILTER (WHERE event_type = 'run_finished') > 0
)
SELECT
  run_id,
  CAST(date_trunc('week', f.ts) AS DATE) AS week_start,
  f.ts AS finished_ts,
  f.workflow,
  f.segment,
  v.customer_id,
  v.cohort,
  f.status,
  coalesce(f.duration_ms, CAST(epoch_ms(f.ts) - epoch_ms(started_ts) AS DOUBLE)) AS duration_ms,
  cost_usd,
  retry_cost_usd,
  retries,
  tool_calls,
  errors,
  had_escalation_event OR f.status = 'escalated' AS escalated,
  overridden,
  v.prompt_version,
  v.policy_version,
  f.quality_score,
  policy_violations,
  critical_policy_violations
FROM agg
