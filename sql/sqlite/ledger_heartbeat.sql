-- Written by the router about once a second; stopped_at is set on a clean stop.
INSERT INTO heartbeat (
  id, pid, group_id, topic, started_at, last_poll_at, consumed, duplicates, stopped_at
) VALUES (1, :pid, :group_id, :topic, :started_at, :last_poll_at, :consumed, :duplicates, :stopped_at)
ON CONFLICT (id) DO UPDATE SET
  pid = excluded.pid, group_id = excluded.group_id, topic = excluded.topic,
  started_at = excluded.started_at, last_poll_at = excluded.last_poll_at,
  consumed = excluded.consumed, duplicates = excluded.duplicates, stopped_at = excluded.stopped_at
