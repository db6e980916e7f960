-- AG_EVENT_TS(payload, max_skew_s): the event's top-level `ts` (RFC 3339 with an offset) as
-- TIMESTAMP_LTZ(3), or NULL. Java (jobs/jvm/io/agentgauge/flink/EventTs.java), for the source's
-- event-time column; it reads the JSON only as far as `ts`.
--   AG_EVENT_TS('{"ts":"2026-11-16T10:30:00.1204+01:00","event_id":"e1"}', 300) = 2026-11-16 09:30:00.120
--   AG_EVENT_TS('{"ts":"yesterday"}', 300) = NULL; a ts next year: NULL too
CREATE TEMPORARY SYSTEM FUNCTION ag_event_ts AS 'io.agentgauge.flink.EventTs' LANGUAGE JAVA
