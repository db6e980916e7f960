-- Valid, unique events whose event time is behind the watermark where the windowed rules read
-- them: counted as late (a superset of what the 5-minute windows drop: an event whose window is
-- still open is counted too). CURRENT_WATERMARK is NULL before the first watermark: none late.
--   {"event_id":"e9","workflow":"refund_approval","segment":"smb",...}  (event 2 h behind)
INSERT INTO late_events
SELECT
  JSON_OBJECT(
    'event_id' VALUE event_id, 'workflow' VALUE workflow, 'segment' VALUE segment,
    'event_time' VALUE CAST(event_time AS STRING),
    'watermark' VALUE CAST(CURRENT_WATERMARK(event_time) AS STRING)
  ),
  DATE_FORMAT(event_time, 'yyyy-MM-dd')
FROM unique_events
WHERE event_time < CURRENT_WATERMARK(event_time)
