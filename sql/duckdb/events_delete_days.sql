-- Idempotent load, step 1: drop what a previous load of these days ($days) put in.
DELETE FROM events WHERE dt IN (SELECT unnest(CAST($days AS DATE[])))
