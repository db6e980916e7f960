-- Dead letters: every record that breaks contract v1, with its reason and the time it was
-- received. The payload is the redacted original, cut to 65,536 characters (AG_DEAD_LETTER).
-- {{dlq_filter}} drops the dead letters already on the topic that a restart would replay (keyed
-- by source partition, offset and payload SHA-256: jobs/replay_guard.py).
--   {"source":"flink","reason":"event_type: unknown event type","payload":"{...}",...}
INSERT INTO agent_events_dlq
SELECT
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  'flink', CAST(NULL AS INT), reject_reason, d.payload, d.payload_bytes, d.payload_sha256,
  d.payload_truncated, kafka_partition, kafka_offset
FROM (
  SELECT reject_reason, kafka_partition, kafka_offset, d, d.payload_sha256 AS sha
  FROM (
    SELECT reject_reason, kafka_partition, kafka_offset, AG_DEAD_LETTER(payload) AS d
    FROM run_state
    WHERE reject_reason IS NOT NULL
  )
)
WHERE {{dlq_filter}}
