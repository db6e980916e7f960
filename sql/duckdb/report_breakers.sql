-- Breakers opened in the week (by when they opened: window_start, else detected_at), by scope and key, with who and why.
SELECT coalesce(scope, 'run') AS scope, coalesce(scope_key, run_id, customer_id) AS scope_key,
       count(*) AS opened, any_value(reason) AS reason, any_value(actor) AS actor,
       min(coalesce(window_start, detected_at)) AS first_opened
FROM alerts
WHERE rule = 'breaker_opened'
  AND coalesce(window_start, detected_at) >= CAST($week_start AS TIMESTAMPTZ)
  AND coalesce(window_start, detected_at) < CAST($week_start AS TIMESTAMPTZ) + INTERVAL 7 DAY
GROUP BY ALL
ORDER BY opened DESC, scope, scope_key
