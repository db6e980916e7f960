-- Sink: dead letters. The same record shape as `agentgauge emit` rejects (docs/events.md): the
-- payload redacted and at most 65,536 characters, with the original's size and SHA-256.
--   {"received_at":"2026-11-16T09:30:01.002Z","source":"flink","line":null,
--    "reason":"run_id: field required","payload":"{...}","payload_bytes":412,
--    "payload_sha256":"9f2c...","payload_truncated":false,"kafka_partition":2,"kafka_offset":17}
CREATE TABLE agent_events_dlq (
  received_at STRING,
  source STRING,
  line INT,
  reason STRING,
  payload STRING,
  payload_bytes BIGINT,
  payload_sha256 STRING,
  payload_truncated BOOLEAN,
  kafka_partition INT,
  kafka_offset BIGINT
) WITH ({{dlq_options}})
