-- Idempotent load, step 1: drop what a previous load of this day put in.
DELETE FROM events WHERE dt = $dt
