-- Idempotent load, step 2: the staged files' valid rows, as they are. $file_days and
-- $file_landed give each staged file's day folder and landing time (its mtime) by rank, so a
-- reload of the same files writes the same rows, byte for byte. Duplicate ids are settled once
-- per batch afterwards (events_keep_first_arrival.sql): here nothing is compared or sorted, and
-- the stage is a bounded slice of the batch, so a backfill never spills it to disk. By name, so
-- a warehouse made before a column was added (events_add_*.sql) still loads.
INSERT INTO events BY NAME
SELECT
  event_id, CAST($file_days[file_rank] AS DATE) AS dt, event_type, ts, run_id, trace_id, span_id,
  workflow, customer_id, segment, session_id, environment, cohort, agent_version, prompt_version,
  policy_version, model, provider, tool, status, category, reason, strategy, outcome, reviewer_id,
  decision, code, message, args_hash, cost_usd, input_tokens, output_tokens, latency_ms,
  duration_ms, attempt, budget_usd, max_tool_calls, confidence, quality_score, fatal,
  filename AS source_file, CAST($file_landed[file_rank] AS TIMESTAMPTZ) AS loaded_at
FROM events_stage
WHERE is_valid
