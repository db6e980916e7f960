-- A parked alert re-sent by `alerts redeliver`: now delivered (the parking file keeps its history).
UPDATE deliveries
SET outcome = 'delivered', reason = 'redelivered', attempts = attempts + :attempts,
    finished_at = :finished_at, latency_ms = :latency_ms, send_ms = :send_ms
WHERE alert_id = :alert_id AND destination = :destination AND outcome = 'parked'
