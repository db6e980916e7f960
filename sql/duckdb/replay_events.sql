-- One session's events from the lake ($files), by run_id or trace_id ($id), de-duplicated by
-- event_id (first landed wins), in time order.
SELECT *
FROM read_json(
  $files,
  format = 'newline_delimited',
  union_by_name = true,
  ignore_errors = true,
  columns = {
    event_id: 'VARCHAR', event_type: 'VARCHAR', ts: 'TIMESTAMPTZ', run_id: 'VARCHAR',
    trace_id: 'VARCHAR', span_id: 'VARCHAR', workflow: 'VARCHAR', customer_id: 'VARCHAR',
    segment: 'VARCHAR', cohort: 'VARCHAR', agent_version: 'VARCHAR', prompt_version: 'VARCHAR',
    policy_version: 'VARCHAR', model: 'VARCHAR', provider: 'VARCHAR', tool: 'VARCHAR',
    status: 'VARCHAR', category: 'VARCHAR', reason: 'VARCHAR', strategy: 'VARCHAR',
    outcome: 'VARCHAR', reviewer_id: 'VARCHAR', decision: 'VARCHAR', code: 'VARCHAR',
    message: 'VARCHAR', args_hash: 'VARCHAR', cost_usd: 'DOUBLE', input_tokens: 'BIGINT',
    output_tokens: 'BIGINT', latency_ms: 'DOUBLE', duration_ms: 'DOUBLE', attempt: 'INTEGER',
    budget_usd: 'DOUBLE', max_tool_calls: 'BIGINT', confidence: 'DOUBLE', quality_score: 'DOUBLE'
  }
)
WHERE run_id = $id OR trace_id = $id
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
ORDER BY ts, event_id
