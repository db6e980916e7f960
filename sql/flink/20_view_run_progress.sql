-- Running totals per run over its unique events, updated on every event (processing-time OVER
-- aggregation: no window, no watermark wait). Ceilings: run_started.budget_usd / max_tool_calls
-- when seen, else the workflow's override, else the default (config/ceilings.yaml).
--   run-1: cost 0.40 -> 1.10 -> 2.45 with ceiling 2.00: the third row is the crossing event.
CREATE TEMPORARY VIEW run_progress AS
SELECT
  run_id, trace_id, workflow, customer_id, segment, event_type, tool, args_hash, proc_time,
  run_cost, run_tool_calls, first_event_time,
  COALESCE(run_budget, {{run_ceiling_expr}}) AS cost_ceiling,
  COALESCE(run_tool_limit, {{tool_limit_expr}}) AS tool_limit
FROM (
  SELECT
    run_id, trace_id, workflow, customer_id, segment, event_type, tool, args_hash, proc_time,
    SUM(COALESCE(cost_usd, 0)) OVER w AS run_cost,
    MAX(budget_usd) OVER w AS run_budget,
    SUM(CASE WHEN event_type = 'tool_call' THEN 1 ELSE 0 END) OVER w AS run_tool_calls,
    MAX(max_tool_calls) OVER w AS run_tool_limit,
    MIN(event_time) OVER w AS first_event_time
  FROM unique_events
  WINDOW w AS (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
