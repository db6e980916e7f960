-- The windowed rules' alerts, one row per verdict (a window with none yields no row).
--   error_rate_spike segment enterprise 12:05-12:10 observed 0.41 threshold 0.11 baseline 0.024
CREATE TEMPORARY VIEW window_alerts AS
SELECT w.workflow, v.*
FROM window_verdicts AS w
CROSS JOIN UNNEST(w.verdicts) AS v (rule_name, severity, level, segment, window_start,
  window_end, first_event_time, observed, threshold, baseline, window_volume, baseline_volume,
  p_value, baseline_hours)
