-- Sink: valid events older than the watermark when they arrive, beside the lake (`<lake>-late`),
-- as JSON lines partitioned by event date. They are in the lake and the per-run rules all the
-- same; the windowed rules cannot count them (their windows may have closed): this is the count
-- `jobs status` reports as late.
--   var/lake/events-late/dt=2026-11-16/part-...:
--   {"event_id":"e9","workflow":"refund_approval","segment":"smb","event_time":"2026-11-16 07:01:00.000","watermark":"2026-11-16 09:29:50.000"}
CREATE TABLE late_events (
  payload STRING,
  dt STRING
) PARTITIONED BY (dt) WITH ({{late_options}})
