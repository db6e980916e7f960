-- Staged rows that are not valid contract-v1 events (unreadable lines included), per file.
SELECT filename, count(*) FROM events_stage WHERE NOT is_valid GROUP BY filename ORDER BY filename
