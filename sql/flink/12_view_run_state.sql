-- Every record, valid or rejected, with its run's state after it (AG_RUN_STATE). Keyed by
-- run_id, so a run's events stay in arrival order all the way to the rules (a shuffle by
-- event_id would interleave them and "did run_started arrive first?" would change meaning);
-- duplicates are recognised by event_id within the run, keeping the first arrival, for at least
-- {{dedup_horizon_ms}} ms after it (the job's dedup_horizon_s). A processing-time OVER aggregate:
-- append-only, immediate; a run's state expires run_idle_s after its last event (the job sets
-- this operator's TTL on its compiled plan: jobs/plan.py). Rejected records pass through (never counted) so the dead-letter sink reads the
-- same parsed rows as the rules: each payload is parsed once.
--   run-A: e1 (is_new), e2 (is_new), e1 again (not new: dropped), e3 (is_new)
CREATE TEMPORARY VIEW run_state AS
SELECT
  event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status, args_hash,
  cost_usd, latency_ms, payload, kafka_partition, kafka_offset, reject_reason, event_time,
  proc_time,
  AG_RUN_STATE(
    reject_reason IS NULL, event_id, event_type, cost_usd, budget_usd, max_tool_calls, tool,
    args_hash, event_time, CAST({{run_ceiling_expr}} AS DOUBLE),
    CAST({{tool_limit_expr}} AS BIGINT), CAST({{loop_limit_expr}} AS BIGINT), tokens, max_tokens,
    max_duration_s, CAST({{token_limit_expr}} AS BIGINT), CAST({{duration_limit_expr}} AS DOUBLE),
    CAST({{dedup_horizon_ms}} AS BIGINT)
  ) OVER (PARTITION BY run_id ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS st
FROM events_checked
