-- Idempotent load, step 2: the staged days' valid rows, de-duplicated by event_id (first arrival
-- wins: the earlier day, then the earlier-landed file, then the earlier ts), minus events another
-- day already holds. $file_days and $file_landed give each file's day folder and landing time
-- (its mtime) by rank, so a reload of the same files writes the same rows, byte for byte.
-- Only ids staged more than once go through the window (a sort); the rest, nearly all, are
-- taken as they are: twice as fast at 1M rows a batch. By name, so a warehouse made before a
-- column was added (events_add_*.sql) still loads.
INSERT INTO events BY NAME
WITH held AS (
  SELECT e.event_id FROM events e WHERE e.event_id IN (SELECT event_id FROM events_stage)
),
dup AS (
  SELECT event_id FROM events_stage WHERE is_valid GROUP BY event_id HAVING count(*) > 1
),
fresh AS (
  SELECT * FROM events_stage
  WHERE is_valid AND event_id NOT IN (SELECT event_id FROM held)
),
firsts AS (
  SELECT * FROM fresh WHERE event_id NOT IN (SELECT event_id FROM dup)
  UNION ALL BY NAME
  SELECT * FROM fresh WHERE event_id IN (SELECT event_id FROM dup)
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY file_rank, ts) = 1
)
SELECT
  event_id, CAST($file_days[file_rank] AS DATE) AS dt, event_type, ts, run_id, trace_id, span_id,
  workflow, customer_id, segment, session_id, environment, cohort, agent_version, prompt_version,
  policy_version, model, provider, tool, status, category, reason, strategy, outcome, reviewer_id,
  decision, code, message, args_hash, cost_usd, input_tokens, output_tokens, latency_ms,
  duration_ms, attempt, budget_usd, max_tool_calls, confidence, quality_score, fatal,
  filename AS source_file, CAST($file_landed[file_rank] AS TIMESTAMPTZ) AS loaded_at
FROM firsts
