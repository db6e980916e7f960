-- Warehouses made before the error's fatal flag was kept (critical policy violations).
ALTER TABLE events ADD COLUMN IF NOT EXISTS fatal BOOLEAN
