-- Per-workflow 5-minute event-time windows over unique events (emitted when the watermark passes
-- the window end; a bounded run flushes them at end of input). AG_WINDOW_STATS keeps the
-- window's counts and latency/cost sketches for the workflow and each of its segments (at most
-- {{max_segments}} per window, the rest as "(other)").
--   refund_approval 09:30-09:35: stats <enterprise: 88 calls, 3 errors ...; smb: ...>
CREATE TEMPORARY VIEW workflow_windows AS
SELECT
  workflow, window_start, window_end, window_time,
  AG_WINDOW_STATS(segment, event_type, latency_ms, cost_usd, event_time, {{max_segments}}) AS stats
FROM TABLE(TUMBLE(TABLE unique_events, DESCRIPTOR(event_time), INTERVAL '{{window_minutes}}' MINUTE))
GROUP BY workflow, window_start, window_end, window_time
