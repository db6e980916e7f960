-- Before a rebuild.
DELETE FROM runs
