-- Warehouses created before the windowed rules carried evidence (2026-12-01) gain the column.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS baseline DOUBLE
