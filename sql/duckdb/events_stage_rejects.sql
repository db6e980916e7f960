-- How many staged rows are not valid contract-v1 events (they never reach `events`).
SELECT count(*) FROM events_stage WHERE NOT is_valid
