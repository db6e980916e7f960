-- runs_insert.sql over the events of the affected runs only (an update).
CREATE OR REPLACE TEMP VIEW runs_events AS
SELECT * FROM events WHERE run_id IN (SELECT run_id FROM runs_affected)
