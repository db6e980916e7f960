-- The weeks that have finished runs, in order (what `materialize --all` builds).
SELECT DISTINCT week_start FROM runs ORDER BY 1
