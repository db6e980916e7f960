-- Events held for each of $days.
SELECT dt, events FROM events_days WHERE dt IN (SELECT unnest(CAST($days AS DATE[]))) ORDER BY dt
