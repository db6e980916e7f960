-- Lake days whose events changed since `runs` last ran: loaded anew or again with other
-- content (gone = false), or no longer loaded at all (gone = true).
SELECT CAST(coalesce(e.dt, r.dt) AS VARCHAR) AS dt, e.dt IS NULL AS gone
FROM events_days e
FULL OUTER JOIN runs_days r ON r.dt = e.dt
WHERE e.digest IS DISTINCT FROM r.digest
ORDER BY 1
