-- The breakers the job opens itself: a run's, for {{run_breaker_hold_hours}} h, when one of its
-- per-run rules fires; a customer's, until the end of the hour and at least
-- breakers.customer_hold_minutes from now, when customer_spend_ceiling fires.
-- alert_id is the alert that opened it.
--   run run-9 "run_tool_call_budget: 21 > 20" until +24 h; customer cust-7 until 13:00
CREATE TEMPORARY VIEW breakers_opened AS
SELECT
  IF(rule_name = 'customer_spend_ceiling', 'customer', 'run') AS `scope`,
  IF(rule_name = 'customer_spend_ceiling', customer_id, run_id) AS scope_key,
  CONCAT(rule_name, ': ', CAST(observed AS STRING), ' > ', CAST(threshold AS STRING)) AS reason,
  alert_id, rule_name, workflow, customer_id, segment, run_id, trace_id, detected_at AS opened_at,
  IF(
    rule_name = 'customer_spend_ceiling',
    {{customer_until_expr}},
    DATE_FORMAT(CURRENT_TIMESTAMP + INTERVAL '{{run_breaker_hold_hours}}' HOUR, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')
  ) AS until
FROM alerts_stopping
