-- Sink: dead letters. The same record shape as `agentgauge emit` rejects (docs/events.md).
--   {"received_at":"2026-11-16T09:30:01.002Z","source":"flink","line":null,
--    "reason":"run_id: field required","payload":"{...}","kafka_partition":2,"kafka_offset":17}
CREATE TABLE agent_events_dlq (
  received_at STRING,
  source STRING,
  line INT,
  reason STRING,
  payload STRING,
  kafka_partition INT,
  kafka_offset BIGINT
) WITH ({{dlq_options}})
