-- After loading $days (with the lake's $signatures of them, in the same order): their counts
-- and digests.
INSERT OR REPLACE INTO events_days
SELECT d.dt, count(e.event_id), coalesce(bit_xor(hash(e.event_id, e.source_file)), 0),
       any_value(d.signature)
FROM (SELECT unnest(CAST($days AS DATE[])) AS dt, unnest(CAST($signatures AS VARCHAR[])) AS signature) d
LEFT JOIN events e ON e.dt = d.dt
GROUP BY d.dt
