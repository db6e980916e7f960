-- The fields the rules need, parsed once per event by AG_PARSE_EVENT. The payload is redacted
-- (AG_REDACT) where it is written out: the lake and the dead letters.
-- Numbers stay text here and are TRY_CAST in events_checked, so the job never fails on bad input.
--   payload '{"event_id":"e1","event_type":"model_call","cost_usd":0.25,...}' ->
--   is_object TRUE, event_id 'e1', event_type 'model_call', cost_text '0.25', ...
CREATE TEMPORARY VIEW events_parsed AS
SELECT
  payload, kafka_partition, kafka_offset, proc_time, event_time,
  r.e.ts_parsed, r.e.is_object, r.e.event_id, r.e.schema_version, r.e.event_type, r.e.ts_text,
  r.e.trace_id, r.e.run_id, r.e.workflow, r.e.customer_id, r.e.segment, r.e.model_name, r.e.tool,
  r.e.status, r.e.reason_text, r.e.category, r.e.outcome, r.e.args_hash, r.e.cost_text,
  r.e.budget_text, r.e.max_tools_text, r.e.latency_text, r.e.input_tokens_text,
  r.e.output_tokens_text, r.e.duration_text, r.e.attempt_text, r.e.confidence_text,
  r.e.quality_text
FROM (
  SELECT payload, kafka_partition, kafka_offset, proc_time, event_time, AG_PARSE_EVENT(payload) AS e
  FROM agent_events_raw
) AS r
