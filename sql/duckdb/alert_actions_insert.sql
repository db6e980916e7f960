INSERT INTO alert_actions (alert_id, action, actor, acted_at, note)
VALUES ($alert_id, $action, $actor, $acted_at, $note)
