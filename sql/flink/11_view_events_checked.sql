-- Contract v1 validation in SQL (mirrors streams/contract.py; the JSON Schema is authoritative).
-- `reject_reason` is NULL for a valid event, else "<field>: <rule>" for the first broken rule.
--   payload '{"event_id":"e1",...,"cost_usd":-1}' -> reject_reason 'cost_usd: must be >= 0'
CREATE TEMPORARY VIEW events_checked AS
SELECT
  *,
  TRY_CAST(cost_text AS DOUBLE) AS cost_usd,
  TRY_CAST(budget_text AS DOUBLE) AS budget_usd,
  TRY_CAST(max_tools_text AS BIGINT) AS max_tool_calls,
  TRY_CAST(latency_text AS DOUBLE) AS latency_ms,
  CASE
    WHEN NOT is_object THEN '$: invalid JSON (not a JSON object)'
    WHEN schema_version IS NULL THEN 'schema_version: field required'
    WHEN NOT REGEXP(schema_version, '^[0-9]+\.[0-9]+$') THEN 'schema_version: must be "<major>.<minor>"'
    WHEN SPLIT_INDEX(schema_version, '.', 0) <> '1' THEN 'schema_version: unsupported major version (this reader takes 1.x)'
    WHEN event_type IS NULL THEN 'event_type: field required'
    WHEN event_type NOT IN ('run_started', 'model_call', 'tool_call', 'decision', 'retry', 'error', 'escalation', 'human_review', 'run_finished') THEN 'event_type: unknown event type'
    WHEN event_id IS NULL OR event_id = '' THEN 'event_id: field required (non-empty string)'
    WHEN ts_text IS NULL THEN 'ts: field required'
    WHEN ts_parsed IS NULL THEN 'ts: must be an RFC 3339 timestamp with an offset'
    WHEN trace_id IS NULL OR NOT REGEXP(trace_id, '^[0-9a-f]{32}$') THEN 'trace_id: must be 32 lowercase hex characters'
    WHEN run_id IS NULL OR run_id = '' THEN 'run_id: field required (non-empty string)'
    WHEN workflow IS NULL OR workflow = '' THEN 'workflow: field required (non-empty string)'
    WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id: field required (non-empty string)'
    WHEN segment IS NULL OR segment = '' THEN 'segment: field required (non-empty string)'
    WHEN cost_text IS NOT NULL AND TRY_CAST(cost_text AS DOUBLE) IS NULL THEN 'cost_usd: must be a number'
    WHEN TRY_CAST(cost_text AS DOUBLE) < 0 THEN 'cost_usd: must be >= 0'
    WHEN budget_text IS NOT NULL AND TRY_CAST(budget_text AS DOUBLE) IS NULL THEN 'budget_usd: must be a number'
    WHEN TRY_CAST(budget_text AS DOUBLE) < 0 THEN 'budget_usd: must be >= 0'
    WHEN max_tools_text IS NOT NULL AND TRY_CAST(max_tools_text AS BIGINT) IS NULL THEN 'max_tool_calls: must be an integer'
    WHEN TRY_CAST(max_tools_text AS BIGINT) < 0 THEN 'max_tool_calls: must be >= 0'
    WHEN latency_text IS NOT NULL AND TRY_CAST(latency_text AS DOUBLE) IS NULL THEN 'latency_ms: must be a number'
    WHEN TRY_CAST(latency_text AS DOUBLE) < 0 THEN 'latency_ms: must be >= 0'
    WHEN input_tokens_text IS NOT NULL AND (TRY_CAST(input_tokens_text AS BIGINT) IS NULL OR TRY_CAST(input_tokens_text AS BIGINT) < 0) THEN 'input_tokens: must be an integer >= 0'
    WHEN output_tokens_text IS NOT NULL AND (TRY_CAST(output_tokens_text AS BIGINT) IS NULL OR TRY_CAST(output_tokens_text AS BIGINT) < 0) THEN 'output_tokens: must be an integer >= 0'
    WHEN duration_text IS NOT NULL AND (TRY_CAST(duration_text AS DOUBLE) IS NULL OR TRY_CAST(duration_text AS DOUBLE) < 0) THEN 'duration_ms: must be a number >= 0'
    WHEN attempt_text IS NOT NULL AND (TRY_CAST(attempt_text AS BIGINT) IS NULL OR TRY_CAST(attempt_text AS BIGINT) < 1) THEN 'attempt: must be an integer >= 1'
    WHEN confidence_text IS NOT NULL AND (TRY_CAST(confidence_text AS DOUBLE) IS NULL OR TRY_CAST(confidence_text AS DOUBLE) NOT BETWEEN 0 AND 1) THEN 'confidence: must be a number in [0, 1]'
    WHEN quality_text IS NOT NULL AND (TRY_CAST(quality_text AS DOUBLE) IS NULL OR TRY_CAST(quality_text AS DOUBLE) NOT BETWEEN 0 AND 1) THEN 'quality_score: must be a number in [0, 1]'
    WHEN event_type = 'model_call' AND (model_name IS NULL OR model_name = '') THEN 'model: field required'
    WHEN event_type IN ('model_call', 'tool_call') AND status IS NOT NULL AND status NOT IN ('ok', 'error') THEN 'status: must be ok or error'
    WHEN event_type = 'tool_call' AND (tool IS NULL OR tool = '') THEN 'tool: field required'
    WHEN event_type = 'tool_call' AND status IS NULL THEN 'status: field required'
    WHEN event_type = 'retry' AND (reason_text IS NULL OR reason_text NOT IN ('rate_limit', 'timeout', 'transient_error', 'malformed_output', 'validation_failed', 'tool_error', 'low_confidence', 'other')) THEN 'reason: field required, one of the retry reasons'
    WHEN event_type = 'error' AND (category IS NULL OR category NOT IN ('tool_error', 'policy_violation', 'context_failure', 'model_failure', 'timeout', 'budget_exceeded', 'other')) THEN 'category: field required, one of the error categories'
    WHEN event_type = 'escalation' AND (reason_text IS NULL OR reason_text = '') THEN 'reason: field required'
    WHEN event_type = 'human_review' AND (outcome IS NULL OR outcome NOT IN ('approved', 'overridden', 'rejected')) THEN 'outcome: field required: approved, overridden or rejected'
    WHEN event_type = 'run_finished' AND (status IS NULL OR status NOT IN ('success', 'failure', 'escalated', 'halted')) THEN 'status: field required: success, failure, escalated or halted'
    ELSE CAST(NULL AS STRING)
  END AS reject_reason
FROM events_parsed
