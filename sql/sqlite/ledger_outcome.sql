-- Has this alert already been handled at this destination?
SELECT outcome FROM deliveries WHERE alert_id = :alert_id AND destination = :destination
