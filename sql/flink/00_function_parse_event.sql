-- AG_PARSE_EVENT(payload): a ROW for every payload: is_object, ts_parsed, and the text of every
-- contract field as JSON_VALUE would return it (NULL when missing, null, an object
-- or an array, and all NULL when the payload is not one JSON object). Java
-- (jvm/src/io/agentgauge/flink/ParseEvent.java): one parse per event instead of one per field.
--   AG_PARSE_EVENT('{"event_id":"e1","cost_usd":0.25}')
--     = (is_object TRUE, ts_parsed NULL, event_id 'e1', ..., cost_text '0.25', ...)
--   AG_PARSE_EVENT('{"event_id":"e1",') = (FALSE, NULL, NULL, ...)
CREATE TEMPORARY SYSTEM FUNCTION ag_parse_event AS 'io.agentgauge.flink.ParseEvent' LANGUAGE JAVA
