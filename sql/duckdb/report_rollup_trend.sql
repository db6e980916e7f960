-- The weekly report's KPIs (docs/report.md): the rollup rows (per workflow, and overall) of
-- the eight ISO weeks ending with $week_start.
-- week_start | level    | workflow       | runs | success_rate | ... | cost_per_success
-- 2026-11-09 | overall  | ALL            | 5    | 0.6          | ... | 0.35
SELECT *
FROM scorecard_weekly_rollup
WHERE week_start BETWEEN CAST($week_start AS DATE) - INTERVAL 49 DAY AND CAST($week_start AS DATE)
ORDER BY week_start, level, workflow
