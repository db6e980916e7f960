-- The alert lifecycle: who acknowledged or resolved which alert, and when. Append-only.
CREATE TABLE IF NOT EXISTS alert_actions (
  alert_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL CHECK (action IN ('ack', 'resolve')),
  actor VARCHAR NOT NULL,
  acted_at TIMESTAMPTZ NOT NULL,
  note VARCHAR
)
