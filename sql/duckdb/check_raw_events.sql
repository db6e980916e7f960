-- The rows raw_events' contract check covers: every event loaded for the run's days ($days).
SELECT event_id, event_type, ts, epoch(ts) AS ts_epoch_s, run_id, trace_id, workflow,
       customer_id, segment, status, cost_usd, input_tokens, output_tokens, latency_ms,
       duration_ms
FROM events
WHERE dt IN (SELECT unnest(CAST($days AS DATE[])))
