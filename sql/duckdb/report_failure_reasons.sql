-- The week's top 10 failure reasons: error events of the week's runs by workflow and category.
SELECT workflow, category, CAST(sum(errors) AS BIGINT) AS errors
FROM failure_reasons_weekly
WHERE week_start = $week_start
GROUP BY ALL
ORDER BY errors DESC, workflow, category
LIMIT 10
