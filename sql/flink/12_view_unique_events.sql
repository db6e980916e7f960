-- Valid events, de-duplicated by event_id keeping the first arrival (processing time). The
-- arrival number is a processing-time OVER count rather than ROW_NUMBER: the planner turns a
-- ROW_NUMBER dedup feeding further OVER aggregations into an updating Rank, while an OVER count
-- stays append-only and keeps both time attributes. State per event_id lives for the TTL.
-- A re-sent event (same event_id) never reaches a rule or the lake twice.
CREATE TEMPORARY VIEW unique_events AS
SELECT
  event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status, args_hash,
  cost_usd, budget_usd, max_tool_calls, latency_ms, redacted_payload, event_time, proc_time
FROM (
  SELECT
    event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status,
    args_hash, cost_usd, budget_usd, max_tool_calls, latency_ms, redacted_payload, event_time,
    proc_time,
    COUNT(*) OVER (PARTITION BY event_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS arrival
  FROM events_checked
  WHERE reject_reason IS NULL
)
WHERE arrival = 1
