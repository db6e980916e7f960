-- The weeks with finished runs or with scorecards already built, in order: a stale week that
-- lost its last run (retention) is built again, empty, too.
SELECT week_start FROM runs
UNION
SELECT week_start FROM scorecard_weekly
ORDER BY 1
