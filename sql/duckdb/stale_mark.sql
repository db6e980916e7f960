-- Scorecards from $from_week on are stale (kept at the earliest such week).
INSERT INTO scorecards_stale
SELECT CAST($from_week AS DATE)
WHERE NOT EXISTS (SELECT 1 FROM scorecards_stale WHERE from_week <= CAST($from_week AS DATE))
