-- AG_DEAD_LETTER(payload): what a dead letter carries of a rejected payload: the payload redacted
-- (as AG_REDACT does) and cut to 65,536 characters, so that no record can exceed the sink's
-- request size, with the original's size in bytes, its SHA-256 and whether it was cut.
-- Java (jobs/jvm/io/agentgauge/flink/DeadLetter.java).
--   AG_DEAD_LETTER('{"event_id":"e1","api_key":"sk-1"') = ('{"event_id":"e1","api_key":"[REDACTED:key]"',
--     33, '9f2c...', FALSE)
CREATE TEMPORARY SYSTEM FUNCTION ag_dead_letter AS 'io.agentgauge.flink.DeadLetter' LANGUAGE JAVA
