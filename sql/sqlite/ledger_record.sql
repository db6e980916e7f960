-- The outcome of one alert at one destination; the first outcome stands.
INSERT OR IGNORE INTO deliveries (
  alert_id, destination, outcome, reason, attempts, rule, severity, detected_at, finished_at,
  latency_ms, send_ms
) VALUES (
  :alert_id, :destination, :outcome, :reason, :attempts, :rule, :severity, :detected_at,
  :finished_at, :latency_ms, :send_ms
)
