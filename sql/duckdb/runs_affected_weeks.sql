-- The weeks the affected runs count in (run before the delete and after the insert: a run's
-- week moves when an earlier run_finished arrives).
SELECT DISTINCT week_start FROM runs WHERE run_id IN (SELECT run_id FROM runs_affected)
