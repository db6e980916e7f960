-- Land valid, unique events in the lake, partitioned by UTC event date.
--   var/lake/events/dt=2026-11-16/part-0a1b...-0-3  (JSON lines)
INSERT INTO lake_events
SELECT AG_REDACT(payload), DATE_FORMAT(event_time, 'yyyy-MM-dd')
FROM unique_events
