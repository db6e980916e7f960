-- Stage some committed lake files ($files: a slice of a batch, in the batch's order; a file's
-- position is its rank) into a temp table.
-- Rows that break contract v1's required fields or enums are counted and left out.
CREATE OR REPLACE TEMP TABLE events_stage AS
SELECT
  j.*,
  list_position($files, j.filename) AS file_rank,
  coalesce(
    j.event_id <> '' AND j.ts IS NOT NULL AND j.run_id <> '' AND j.trace_id IS NOT NULL
    AND j.workflow <> '' AND j.customer_id <> '' AND j.segment <> ''
    AND j.event_type IN ('run_started', 'model_call', 'tool_call', 'decision', 'retry', 'error',
                         'escalation', 'human_review', 'run_finished')
    AND coalesce(j.cost_usd, 0) >= 0 AND coalesce(j.latency_ms, 0) >= 0
    AND coalesce(j.duration_ms, 0) >= 0,
    false) AS is_valid
FROM read_json(
  $files,
  format = 'newline_delimited',
  filename = true,
  ignore_errors = true,
  columns = {
    event_id: 'VARCHAR', event_type: 'VARCHAR', ts: 'TIMESTAMPTZ', run_id: 'VARCHAR',
    trace_id: 'VARCHAR', span_id: 'VARCHAR', workflow: 'VARCHAR', customer_id: 'VARCHAR',
    segment: 'VARCHAR', session_id: 'VARCHAR', environment: 'VARCHAR', cohort: 'VARCHAR',
    agent_version: 'VARCHAR', prompt_version: 'VARCHAR', policy_version: 'VARCHAR',
    model: 'VARCHAR', provider: 'VARCHAR', tool: 'VARCHAR', status: 'VARCHAR',
    category: 'VARCHAR', reason: 'VARCHAR', strategy: 'VARCHAR', outcome: 'VARCHAR',
    reviewer_id: 'VARCHAR', decision: 'VARCHAR', code: 'VARCHAR', message: 'VARCHAR',
    args_hash: 'VARCHAR', cost_usd: 'DOUBLE', input_tokens: 'BIGINT', output_tokens: 'BIGINT',
    latency_ms: 'DOUBLE', duration_ms: 'DOUBLE', attempt: 'BIGINT', budget_usd: 'DOUBLE',
    max_tool_calls: 'BIGINT', confidence: 'DOUBLE', quality_score: 'DOUBLE',
    fatal: 'BOOLEAN'
  }
) AS j
