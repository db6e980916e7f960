-- runs_insert.sql over every event (a rebuild).
CREATE OR REPLACE TEMP VIEW runs_events AS SELECT * FROM events
