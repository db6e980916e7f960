-- A release gate's two sides (docs/gates.md): the candidate prompt version's runs of $workflow
-- and every other run of it, finished at or after $since. A run's prompt version is that of
-- its earliest run_started (runs_rebuild.sql).
-- is_candidate | runs | success_rate | escalation_rate | p95_duration_ms | critical | scored | pass
-- true         |   48 |        0.917 |           0.083 |         41200.0 |        0 |     40 | 0.9
SELECT
  prompt_version IS NOT DISTINCT FROM $candidate AS is_candidate,
  count(*) AS runs,
  avg(CAST(status = 'success' AS DOUBLE)) AS success_rate,
  avg(CAST(escalated AS DOUBLE)) AS escalation_rate,
  quantile_cont(duration_ms, 0.95) AS p95_duration_ms,
  CAST(coalesce(sum(critical_policy_violations), 0) AS BIGINT) AS critical_policy_violations,
  count(quality_score) AS scored_runs,
  avg(CAST(quality_score >= $pass_mark AS DOUBLE)) AS quality_pass_rate
FROM runs
WHERE workflow = $workflow AND finished_ts >= $since
GROUP BY ALL
