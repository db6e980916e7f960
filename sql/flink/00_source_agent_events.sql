-- Source: agent events from Kafka, kept byte-for-byte (format 'raw') so that an invalid record
-- can be dead-lettered whole. Fields are parsed by AG_PARSE_EVENT in events_parsed.
-- event_time is the event's own `ts` (RFC 3339 with offset), or the Kafka record time when `ts`
-- is unusable or more than ts_max_skew_s ahead of the job's clock, so a bad record can never
-- stall, break or drag forward the watermark.
--
-- Example row:
--   payload = '{"event_id":"e1","event_type":"model_call","ts":"2026-11-16T09:30:00.120Z",...}'
--   event_time = 2026-11-16 09:30:00.120, kafka_partition = 3, kafka_offset = 1042
CREATE TABLE agent_events_raw (
  payload STRING,
  kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  proc_time AS PROCTIME(),
  event_time AS COALESCE(AG_EVENT_TS(payload, {{ts_max_skew_s}}), kafka_ts),
  WATERMARK FOR event_time AS event_time - INTERVAL '{{watermark_delay_s}}' SECOND
) WITH ({{source_options}})
