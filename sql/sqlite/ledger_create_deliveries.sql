-- The router's ledger: one row per (alert, destination) once it is delivered, parked or
-- suppressed. The primary key is what makes delivery idempotent across restarts.
CREATE TABLE IF NOT EXISTS deliveries (
  alert_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'parked', 'suppressed')),
  reason TEXT,
  attempts INTEGER NOT NULL,
  rule TEXT,
  severity TEXT,
  detected_at TEXT,
  finished_at TEXT NOT NULL,
  latency_ms REAL,
  send_ms REAL,
  PRIMARY KEY (alert_id, destination)
)
