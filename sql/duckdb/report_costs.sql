-- Per workflow: what retries cost (model and tool calls with attempt >= 2) and what an
-- escalated run costs, in the week.
SELECT workflow, count(*) AS runs, sum(retry_cost_usd) AS retry_cost_usd,
       sum(cost_usd) AS cost_usd, count(*) FILTER (WHERE escalated) AS escalations,
       sum(cost_usd) FILTER (WHERE escalated)
         / nullif(count(*) FILTER (WHERE escalated), 0) AS cost_per_escalation
FROM runs
WHERE week_start = $week_start
GROUP BY ALL
ORDER BY workflow
