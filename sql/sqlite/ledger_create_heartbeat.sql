-- One row: the router process now (or last) running against this ledger, and its counters.
CREATE TABLE IF NOT EXISTS heartbeat (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  started_at TEXT NOT NULL,
  last_poll_at TEXT NOT NULL,
  consumed INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  stopped_at TEXT
)
