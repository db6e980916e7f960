-- Warehouses created before breakers (2026-12-01) gain the column.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS scope_key VARCHAR
