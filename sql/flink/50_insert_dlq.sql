-- Dead letters: every record that breaks contract v1, with its reason and the time it was
-- received. The payload is the redacted original.
--   {"source":"flink","reason":"event_type: unknown event type","payload":"{...}",...}
INSERT INTO agent_events_dlq
SELECT
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  'flink', CAST(NULL AS INT), reject_reason, AG_REDACT(payload), kafka_partition, kafka_offset
FROM run_state
WHERE reject_reason IS NOT NULL
