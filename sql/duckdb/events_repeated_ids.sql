-- Idempotent load, step 3a, once per batch of days ($days): the batch's event_ids that the
-- warehouse holds more than once (in the batch, or in the batch and another day); usually none.
-- One probe of every event_id against the batch's, grouped (a probe of the other days, then a
-- group of the batch, took twice as long). Ids are compared by their 64-bit hash first, then
-- only the rows whose hash repeats are compared exactly: 3.9 s a week at 50M events, against
-- 5.3 s for the strings themselves (9M of them, which spill past the memory limit).
WITH batch AS (
  SELECT hash(event_id) AS h FROM events WHERE dt IN (SELECT unnest(CAST($days AS DATE[])))
),
repeated AS (
  SELECT hash(event_id) AS h FROM events
  WHERE hash(event_id) IN (SELECT h FROM batch)
  GROUP BY 1 HAVING count(*) > 1
)
SELECT event_id
FROM events
WHERE hash(event_id) IN (SELECT h FROM repeated)
GROUP BY event_id
HAVING count(*) > 1
ORDER BY event_id
