-- Parse the fields the rules need from the original payload, and redact the payload with the
-- SDK's rules (streams/config/redaction.yaml, compiled into REGEXP_REPLACE calls) before it is
-- landed or dead-lettered. Numbers are read as text and TRY_CAST: JSON_VALUE ... RETURNING
-- DOUBLE throws on a string value, and the job must never fail on bad input.
CREATE TEMPORARY VIEW events_parsed AS
SELECT
  payload,
  {{redacted_payload}} AS redacted_payload,
  kafka_partition,
  kafka_offset,
  proc_time,
  event_time,
  ts_parsed,
  payload IS JSON OBJECT AS is_object,
  JSON_VALUE(payload, '$.event_id') AS event_id,
  JSON_VALUE(payload, '$.schema_version') AS schema_version,
  JSON_VALUE(payload, '$.event_type') AS event_type,
  JSON_VALUE(payload, '$.ts') AS ts_text,
  JSON_VALUE(payload, '$.trace_id') AS trace_id,
  JSON_VALUE(payload, '$.run_id') AS run_id,
  JSON_VALUE(payload, '$.workflow') AS workflow,
  JSON_VALUE(payload, '$.customer_id') AS customer_id,
  JSON_VALUE(payload, '$.segment') AS segment,
  JSON_VALUE(payload, '$.model') AS model_name,
  JSON_VALUE(payload, '$.tool') AS tool,
  JSON_VALUE(payload, '$.status') AS status,
  JSON_VALUE(payload, '$.reason') AS reason_text,
  JSON_VALUE(payload, '$.category') AS category,
  JSON_VALUE(payload, '$.outcome') AS outcome,
  JSON_VALUE(payload, '$.args_hash') AS args_hash,
  JSON_VALUE(payload, '$.cost_usd') AS cost_text,
  JSON_VALUE(payload, '$.budget_usd') AS budget_text,
  JSON_VALUE(payload, '$.max_tool_calls') AS max_tools_text,
  JSON_VALUE(payload, '$.latency_ms') AS latency_text,
  JSON_VALUE(payload, '$.input_tokens') AS input_tokens_text,
  JSON_VALUE(payload, '$.output_tokens') AS output_tokens_text,
  JSON_VALUE(payload, '$.duration_ms') AS duration_text,
  JSON_VALUE(payload, '$.attempt') AS attempt_text,
  JSON_VALUE(payload, '$.confidence') AS confidence_text,
  JSON_VALUE(payload, '$.quality_score') AS quality_text
FROM agent_events_raw
