-- Every record with the verdict of contract v1 and the fields the rules need, parsed once per
-- event by AG_PARSE_EVENT (the rules, in order, are in jobs/jvm/io/agentgauge/flink/ContractV1.java).
-- reject_reason is NULL for a valid event, else "<field>: <rule>" for the dead letters; the job
-- never fails on bad input. Numbers must be JSON numbers (counts integers), as in the SDK's
-- contract. The payload is redacted (AG_REDACT) where it is written out: the lake and the DLQ.
--   '{"event_id":"e1","event_type":"model_call","cost_usd":0.25,...}'
--     -> reject_reason NULL, event_id 'e1', event_type 'model_call', cost_usd 0.25, ...
--   '{"event_id":"e2","event_type":"teleport",...}' -> reject_reason 'event_type: unknown event type'
CREATE TEMPORARY VIEW events_checked AS
SELECT
  payload, kafka_partition, kafka_offset, proc_time, event_time,
  r.e.reject_reason, r.e.event_id, r.e.event_type, r.e.trace_id, r.e.run_id, r.e.workflow,
  r.e.customer_id, r.e.segment, r.e.tool, r.e.status, r.e.args_hash, r.e.cost_usd, r.e.budget_usd,
  r.e.max_tool_calls, r.e.latency_ms, r.e.tokens, r.e.max_tokens, r.e.max_duration_s
FROM (
  SELECT payload, kafka_partition, kafka_offset, proc_time, event_time, AG_PARSE_EVENT(payload) AS e
  FROM agent_events_raw
) AS r
