-- Days ($days) the lake no longer holds (retention): the warehouse forgets them too, and
-- `runs` sees them gone (a rebuild).
DELETE FROM events_days WHERE dt IN (SELECT unnest(CAST($days AS DATE[])))
