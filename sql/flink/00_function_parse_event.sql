-- AG_PARSE_EVENT(payload): a ROW for every payload, from one parse: reject_reason (the first
-- contract-v1 rule the event breaks, NULL when valid) and the fields the rules need, numbers
-- typed (NULL when missing or not a number). Java (jobs/jvm/io/agentgauge/flink/ParseEvent.java,
-- rules in ContractV1.java): one parse per event, no generated CASE.
--   AG_PARSE_EVENT('{"schema_version":"1.0","event_type":"model_call","event_id":"e1",...,"cost_usd":0.25}')
--     = (reject_reason NULL, event_id 'e1', event_type 'model_call', ..., cost_usd 0.25, ...)
--   AG_PARSE_EVENT('{"event_id":"e1",') = ('$: invalid JSON (not a JSON object)', NULL, ...)
CREATE TEMPORARY SYSTEM FUNCTION ag_parse_event AS 'io.agentgauge.flink.ParseEvent' LANGUAGE JAVA
