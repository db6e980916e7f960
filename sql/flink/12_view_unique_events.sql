-- Valid events, de-duplicated by event_id keeping the first arrival. The state is keyed by
-- run_id, not event_id, so that a run's events stay in arrival order all the way to the rules
-- (a shuffle by event_id would interleave them and "did run_started arrive first?" would change
-- meaning). Per run: dups = COUNT(*) - COUNT(DISTINCT event_id) over its events so far; an event
-- is new when dups did not grow at its row. All processing-time OVER aggregates: append-only,
-- immediate, state kept for the TTL after a run's last event.
--   run-A: e1 (dups 0), e2 (0), e1 again (1: dropped), e3 (1, unchanged: kept)
CREATE TEMPORARY VIEW unique_events AS
SELECT
  event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status, args_hash,
  cost_usd, budget_usd, max_tool_calls, latency_ms, payload, event_time, proc_time
FROM (
  SELECT
    *,
    LAG(dups) OVER (PARTITION BY run_id ORDER BY proc_time) AS dups_before
  FROM (
    SELECT
      event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status,
      args_hash, cost_usd, budget_usd, max_tool_calls, latency_ms, payload, event_time,
      proc_time,
      COUNT(*) OVER w - COUNT(DISTINCT event_id) OVER w AS dups
    FROM events_checked
    WHERE reject_reason IS NULL
    WINDOW w AS (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  )
)
WHERE dups = COALESCE(dups_before, 0)
