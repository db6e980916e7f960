-- customer_spend_ceiling: spend per customer per event-time hour passes the customer's ceiling.
-- One alert per customer-hour, on the crossing event (no wait for the hour to close).
--   {"rule":"customer_spend_ceiling","customer_id":"cust-7","window_start":"2026-11-16T09:00:00.000Z",...}
CREATE TEMPORARY VIEW alerts_customer_spend_ceiling (alert_id, rule_name, severity, workflow, customer_id, segment, run_id, trace_id, observed,
  threshold, window_start, window_end, first_event_ts, detected_at, ceilings_version, runbook) AS
SELECT
  SUBSTR(SHA256(CONCAT_WS('|', 'customer_spend_ceiling', customer_id, hour_key)), 1, 32),
  'customer_spend_ceiling', 'critical', workflow, customer_id, segment, run_id, trace_id,
  spend, spend_ceiling, hour_key,
  DATE_FORMAT(hour_start + INTERVAL '1' HOUR, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(first_event_time, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  {{ceilings_version}}, 'docs/runbooks/customer_spend_ceiling.md'
FROM (
  SELECT
    customer_id, workflow, segment, run_id, trace_id, spend, spend_ceiling, hour_start, hour_key,
    first_event_time,
    COUNT(*) OVER (PARTITION BY customer_id, hour_key ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS nth
  FROM (
    SELECT
      customer_id, workflow, segment, run_id, trace_id, proc_time, hour_start, hour_key,
      {{customer_ceiling_expr}} AS spend_ceiling,
      SUM(COALESCE(cost_usd, 0)) OVER w AS spend,
      MIN(event_time) OVER w AS first_event_time
    FROM (
      SELECT
        customer_id, workflow, segment, run_id, trace_id, cost_usd, event_time, proc_time,
        FLOOR(CAST(event_time AS TIMESTAMP(3)) TO HOUR) AS hour_start,
        DATE_FORMAT(FLOOR(CAST(event_time AS TIMESTAMP(3)) TO HOUR), 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS hour_key
      FROM unique_events
    )
    WINDOW w AS (PARTITION BY customer_id, hour_key ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  )
  WHERE spend > spend_ceiling
)
WHERE nth = 1
