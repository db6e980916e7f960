-- What the warehouse holds of each lake day: its events, a digest of them (which event from
-- which file), and the lake's signature of the day when it was loaded (files, newest mtime).
-- `materialize --all` loads only days whose signature moved; `runs` redoes only the runs of days
-- whose digest moved since it last ran (runs_days).
CREATE TABLE IF NOT EXISTS events_days (
  dt DATE PRIMARY KEY,
  events BIGINT NOT NULL,
  digest UBIGINT NOT NULL,
  signature VARCHAR NOT NULL
)
