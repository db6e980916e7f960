-- The prompt versions a workflow's runs used since $since, most runs first (for a gate's
-- "no runs of that candidate" message).
SELECT prompt_version, count(*) AS runs
FROM runs
WHERE workflow = $workflow AND finished_ts >= $since AND prompt_version IS NOT NULL
GROUP BY ALL
ORDER BY runs DESC, prompt_version
