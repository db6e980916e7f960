-- The job's breakers to agent-controls. Filtered by the alert that opened them ({{replay_filter}}
-- on alert_id), so a restart does not open again a breaker that someone has since released.
--   {"control_key":"run:run-9","action":"opened","scope":"run","key":"run-9",...}
INSERT INTO agent_controls
SELECT
  CONCAT(`scope`, ':', scope_key), 'opened', `scope`, scope_key, reason, alert_id, opened_at, until,
  'agentgauge-job'
FROM breakers_opened
WHERE {{replay_filter}}
