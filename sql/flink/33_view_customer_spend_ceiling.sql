-- customer_spend_ceiling: spend per customer per event-time hour passes the customer's ceiling.
-- One alert per customer-hour, on the crossing event (no wait for the hour to close).
--   {"rule":"customer_spend_ceiling","customer_id":"cust-7","window_start":"2026-11-16T09:00:00.000Z",...}
CREATE TEMPORARY VIEW alerts_customer_spend_ceiling (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'customer_spend_ceiling', customer_id, hour_key)), 1, 32),
  'customer_spend_ceiling', 'critical', workflow, customer_id, segment, run_id, trace_id,
  c.total, spend_ceiling, hour_key,
  DATE_FORMAT(hour_start + INTERVAL '1' HOUR, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(c.first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/customer_spend_ceiling.md'
FROM (
  SELECT
    customer_id, workflow, segment, run_id, trace_id, hour_start, hour_key, spend_ceiling,
    AG_SUM_CROSSING(COALESCE(cost_usd, 0), event_time, spend_ceiling)
      OVER (PARTITION BY customer_id, hour_key ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c
  FROM (
    SELECT
      customer_id, workflow, segment, run_id, trace_id, cost_usd, event_time, proc_time,
      {{customer_ceiling_expr}} AS spend_ceiling,
      FLOOR(CAST(event_time AS TIMESTAMP(3)) TO HOUR) AS hour_start,
      DATE_FORMAT(FLOOR(CAST(event_time AS TIMESTAMP(3)) TO HOUR), 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS hour_key
    FROM unique_events
  )
)
WHERE c.crossed
