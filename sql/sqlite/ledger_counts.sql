-- Per destination and outcome: alerts, attempts, and the newest outcome.
SELECT destination, outcome, coalesce(reason, '') AS reason, count(*) AS alerts,
       sum(attempts) AS attempts, max(finished_at) AS last_at
FROM deliveries
GROUP BY destination, outcome, coalesce(reason, '')
ORDER BY destination, outcome, reason
