-- AG_RUN_STATE(valid, event_id, event_type, cost_usd, budget_usd, max_tool_calls, tool, args_hash,
-- event_time, default_ceiling, default_tool_limit, loop_limit): an aggregate used as a run-keyed
-- OVER, returning per row ROW<is_new, run_cost, cost_ceiling, cost_crossed, tool_calls,
-- tool_limit, tool_crossed, loop_repeats, loop_crossed, first_event_time, loop_first_event_time>.
-- De-duplication and the three per-run rules in one keyed operator.
-- Java (jobs/jvm/io/agentgauge/flink/RunState.java).
--   run-1: run_started budget 2.0 -> is_new, run_cost 0.0, cost_ceiling 2.0
--          model_call 2.45        -> is_new, run_cost 2.45, cost_crossed TRUE
--          model_call (re-sent)   -> is_new FALSE
CREATE TEMPORARY SYSTEM FUNCTION ag_run_state AS 'io.agentgauge.flink.RunState' LANGUAGE JAVA
