-- The week's runs per workflow and prompt version, with each version's share of the workflow.
SELECT workflow, coalesce(prompt_version, '(none)') AS prompt_version, count(*) AS runs,
       count(*) / sum(count(*)) OVER (PARTITION BY workflow) AS share
FROM runs
WHERE week_start = $week_start
GROUP BY 1, 2
ORDER BY workflow, runs DESC, prompt_version
