-- The latest deliveries' latencies (alert detected -> delivered, and the HTTP request alone).
SELECT destination, latency_ms, send_ms
FROM deliveries
WHERE outcome = 'delivered'
ORDER BY finished_at DESC
LIMIT :limit
