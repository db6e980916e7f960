-- How many staged rows are not valid contract-v1 events (they never reach `events`).
SELECT count(*) FROM events_stage
WHERE NOT (
  event_id IS NOT NULL AND event_id <> '' AND ts IS NOT NULL AND run_id IS NOT NULL
  AND run_id <> '' AND trace_id IS NOT NULL AND workflow IS NOT NULL AND workflow <> ''
  AND customer_id IS NOT NULL AND customer_id <> '' AND segment IS NOT NULL AND segment <> ''
  AND event_type IN ('run_started', 'model_call', 'tool_call', 'decision', 'retry', 'error',
                     'escalation', 'human_review', 'run_finished')
  AND coalesce(cost_usd, 0) >= 0 AND coalesce(latency_ms, 0) >= 0
  AND coalesce(duration_ms, 0) >= 0
)
