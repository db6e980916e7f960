-- The earliest stale week, or NULL.
SELECT min(from_week) FROM scorecards_stale
