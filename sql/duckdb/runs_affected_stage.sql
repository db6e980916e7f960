-- The runs with an event in one of the changed days ($days).
CREATE OR REPLACE TEMP TABLE runs_affected AS
SELECT DISTINCT run_id FROM events WHERE dt IN (SELECT unnest(CAST($days AS DATE[])))
