-- Before an update: the affected runs go, runs_insert.sql puts back those still finished.
DELETE FROM runs WHERE run_id IN (SELECT run_id FROM runs_affected)
