-- The events_days digests `runs` was last brought up to date with.
CREATE TABLE IF NOT EXISTS runs_days (dt DATE PRIMARY KEY, digest UBIGINT NOT NULL)
