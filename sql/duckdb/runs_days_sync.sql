-- `runs` is now up to date with every loaded day.
CREATE OR REPLACE TABLE runs_days AS SELECT dt, digest FROM events_days
