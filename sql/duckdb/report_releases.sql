-- Since the last release: per workflow, its latest prompt version as of the week's end and the
-- one released before it (release = first appearance in the workflow's events; ties: the
-- greater version), each with its runs and KPIs over the eight weeks ending $week_start.
-- workflow | release_rank | prompt_version | released_at          | runs | success_rate | ...
-- wf       | 1            | p2             | 2026-11-15 23:59:00  | 0    | NULL         | ...
-- wf       | 2            | p1             | 2026-11-09 10:00:00  | 5    | 0.6          | ...
WITH releases AS (
  SELECT workflow, prompt_version, min(ts) AS released_at
  FROM events
  WHERE prompt_version IS NOT NULL AND ts < CAST($week_start AS DATE) + INTERVAL 7 DAY
  GROUP BY workflow, prompt_version
),
ranked AS (
  SELECT *, row_number() OVER (
    PARTITION BY workflow ORDER BY released_at DESC, prompt_version DESC) AS release_rank
  FROM releases
  QUALIFY release_rank <= 2
),
kpis AS (
  SELECT workflow, prompt_version, count(*) AS runs,
         avg(CAST(status = 'success' AS DOUBLE)) AS success_rate,
         avg(CAST(escalated AS DOUBLE)) AS escalation_rate,
         quantile_cont(duration_ms, 0.95) AS p95_duration_ms,
         sum(cost_usd) / nullif(count(*) FILTER (WHERE status = 'success'), 0) AS cost_per_success
  FROM runs
  WHERE week_start BETWEEN CAST($week_start AS DATE) - INTERVAL 49 DAY AND CAST($week_start AS DATE)
  GROUP BY workflow, prompt_version
)
SELECT r.workflow, r.release_rank, r.prompt_version, r.released_at,
       coalesce(k.runs, 0) AS runs, k.success_rate, k.escalation_rate, k.p95_duration_ms,
       k.cost_per_success
FROM ranked r
LEFT JOIN kpis k USING (workflow, prompt_version)
ORDER BY r.workflow, r.release_rank
