-- `agentgauge scorecard`: one week (default: the latest) of the `scorecard` view, filtered.
SELECT * EXCLUDE (level)
FROM scorecard
WHERE week_start = coalesce($week, (SELECT max(week_start) FROM scorecard_weekly))
  AND ($workflow IS NULL OR workflow = $workflow)
  AND ($segment IS NULL OR segment = $segment)
ORDER BY workflow = 'ALL', workflow, segment = 'ALL', segment
