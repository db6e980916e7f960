-- Valid events, each event_id once (the first arrival): what the lake and the windowed rules see.
--   run-A: e1, e2, e1 again, e3, a record without run_id -> e1, e2, e3
CREATE TEMPORARY VIEW unique_events AS
SELECT
  event_id, event_type, run_id, trace_id, workflow, customer_id, segment, tool, status, args_hash,
  cost_usd, latency_ms, payload, event_time, proc_time
FROM run_state
WHERE st.is_new
