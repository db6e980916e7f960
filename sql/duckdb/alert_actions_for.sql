-- One alert's lifecycle so far, oldest first.
SELECT action, actor, acted_at, note FROM alert_actions WHERE alert_id = $alert_id ORDER BY acted_at
