-- AG_EVENT_TS(payload): the event's top-level `ts` (RFC 3339 with an offset) as
-- TIMESTAMP_LTZ(3), or NULL. Java (jvm/src/io/agentgauge/flink/EventTs.java), for the source's
-- event-time column; it reads the JSON only as far as `ts`.
--   AG_EVENT_TS('{"ts":"2026-11-16T10:30:00.1204+01:00","event_id":"e1"}') = 2026-11-16 09:30:00.120
--   AG_EVENT_TS('{"ts":"yesterday"}') = NULL
CREATE TEMPORARY SYSTEM FUNCTION ag_event_ts AS 'io.agentgauge.flink.EventTs' LANGUAGE JAVA
