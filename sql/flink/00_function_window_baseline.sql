-- AG_WINDOW_BASELINE(stats, window_start, window_end, config) OVER a workflow's windows in
-- event-time order: the windowed rules' alerts for this window, with their evidence, tested
-- against the workflow's and each segment's pooled history (jobs/jvm/.../Detector.java).
--   [{rule_name: error_rate_spike, level: segment, segment: enterprise, observed: 0.41,
--     baseline: 0.024, window_volume: 61, baseline_volume: 5210, p_value: 3.1e-19, ...}]
CREATE TEMPORARY SYSTEM FUNCTION ag_window_baseline AS 'io.agentgauge.flink.WindowBaseline' LANGUAGE JAVA
