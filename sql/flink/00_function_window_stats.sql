-- AG_WINDOW_STATS(segment, event_type, latency_ms, cost_usd, event_time, max_segments): a
-- window's tallies for the workflow and each segment, as BYTES for AG_WINDOW_BASELINE.
-- Java (jobs/jvm/io/agentgauge/flink/WindowStats.java).
--   errors 3 of 120 trials, retries 4 of 70 model calls, latency and cost sketches, per segment
CREATE TEMPORARY SYSTEM FUNCTION ag_window_stats AS 'io.agentgauge.flink.WindowStats' LANGUAGE JAVA
