SELECT pid, group_id, topic, started_at, last_poll_at, consumed, duplicates, stopped_at
FROM heartbeat WHERE id = 1
