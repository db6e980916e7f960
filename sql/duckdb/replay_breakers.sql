-- The breakers that touched a session: opened (or released) on its runs, its customer, its
-- workflow, the (workflow, customer) pair or one of its prompt versions, while it ran
-- ($first_ts .. $last_ts): opened before its last event and not over before its first.
SELECT alert_id, rule, scope, scope_key, reason, actor, window_start AS at, window_end AS until
FROM alerts
WHERE rule IN ('breaker_opened', 'breaker_released')
  AND (
    (scope = 'run' AND scope_key IN (SELECT unnest($run_ids)))
    OR (scope = 'customer' AND scope_key = $customer_id)
    OR (scope = 'workflow' AND scope_key = $workflow)
    OR (scope = 'workflow_customer' AND scope_key = $workflow || '/' || $customer_id)
    OR (scope = 'prompt_version' AND scope_key IN (SELECT unnest($prompt_versions)))
  )
  AND window_start <= $last_ts
  AND (
    (rule = 'breaker_opened' AND (window_end IS NULL OR window_end >= $first_ts))
    OR (rule = 'breaker_released' AND window_start >= $first_ts)
  )
ORDER BY window_start, rule
