-- bench_scorecard's raw baseline (a): one statement from the lake's JSON files ($files) as they
-- are on disk to a table with scorecard_weekly's columns and definitions (docs/scorecard.md),
-- every week at once. No pipeline: no staging, de-duplication, checks or incremental state.
CREATE OR REPLACE TABLE bench_raw_scorecard AS
WITH ev AS (
  SELECT * FROM read_json($files, format = 'newline_delimited', columns = {
    event_id: 'VARCHAR', event_type: 'VARCHAR', ts: 'TIMESTAMPTZ', run_id: 'VARCHAR',
    workflow: 'VARCHAR', segment: 'VARCHAR', cohort: 'VARCHAR', customer_id: 'VARCHAR',
    prompt_version: 'VARCHAR', policy_version: 'VARCHAR', status: 'VARCHAR',
    category: 'VARCHAR', outcome: 'VARCHAR', cost_usd: 'DOUBLE', duration_ms: 'DOUBLE',
    attempt: 'BIGINT', quality_score: 'DOUBLE', fatal: 'BOOLEAN'})
),
finished AS (
  SELECT run_id, ts AS finished_ts, status, workflow, segment, duration_ms AS reported, quality_score
  FROM ev WHERE event_type = 'run_finished'
  QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY ts, event_id) = 1
),
per_run AS (
  SELECT run_id,
    min(ts) FILTER (WHERE event_type = 'run_started') AS started_ts,
    arg_min_null(prompt_version, ((event_type <> 'run_started')::INT, ts, event_id)) AS prompt_version,
    arg_min_null(policy_version, ((event_type <> 'run_started')::INT, ts, event_id)) AS policy_version,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    coalesce(sum(cost_usd) FILTER (WHERE event_type IN ('model_call', 'tool_call') AND attempt >= 2), 0) AS retry_cost_usd,
    count(*) FILTER (WHERE event_type = 'retry') AS retries,
    count(*) FILTER (WHERE event_type = 'tool_call') AS tool_calls,
    count(*) FILTER (WHERE event_type = 'escalation') > 0 AS had_escalation,
    count(*) FILTER (WHERE event_type = 'human_review' AND outcome = 'overridden') > 0 AS overridden,
    count(*) FILTER (WHERE event_type = 'error' AND category = 'policy_violation') AS pv,
    count(*) FILTER (WHERE event_type = 'error' AND category = 'policy_violation' AND fatal) AS cpv
  FROM ev GROUP BY run_id
),
runs AS (
  SELECT f.*, p.* EXCLUDE (run_id), CAST(date_trunc('week', f.finished_ts) AS DATE) AS week_start,
    coalesce(f.reported, CAST(epoch_ms(f.finished_ts) - epoch_ms(p.started_ts) AS DOUBLE)) AS duration_ms,
    p.had_escalation OR f.status = 'escalated' AS escalated
  FROM finished f JOIN per_run p USING (run_id)
),
first_seen AS (
  SELECT workflow, 'prompt' AS kind, prompt_version AS version, min(ts) AS first_ts FROM ev
  WHERE prompt_version IS NOT NULL GROUP BY ALL
  UNION ALL
  SELECT workflow, 'policy', policy_version, min(ts) FROM ev
  WHERE policy_version IS NOT NULL GROUP BY ALL
),
latest AS (
  SELECT w.week_start, s.workflow, s.kind, s.version
  FROM (SELECT DISTINCT week_start FROM runs) w
  JOIN first_seen s ON s.first_ts < w.week_start + INTERVAL 7 DAY
  QUALIFY row_number() OVER (PARTITION BY w.week_start, s.workflow, s.kind
                             ORDER BY s.first_ts DESC, s.version DESC) = 1
),
top_err AS (
  SELECT r.week_start, r.workflow, r.segment, e.category
  FROM ev e JOIN runs r USING (run_id) WHERE e.event_type = 'error'
  GROUP BY r.week_start, r.workflow, r.segment, e.category
  QUALIFY row_number() OVER (PARTITION BY r.week_start, r.workflow, r.segment
                             ORDER BY count(*) DESC, e.category) = 1
)
SELECT r.week_start, r.workflow, r.segment,
  count(*) AS runs,
  avg(CAST(status = 'success' AS DOUBLE)) AS success_rate,
  avg(CAST(status = 'failure' AS DOUBLE)) AS failure_rate,
  avg(CAST(escalated AS DOUBLE)) AS escalation_rate,
  avg(CAST(overridden AS DOUBLE)) AS override_rate,
  avg(CAST(retries > 0 AS DOUBLE)) AS retry_rate,
  sum(retries) / count(*) AS retries_per_run,
  quantile_cont(duration_ms, 0.5) AS p50_duration_ms,
  quantile_cont(duration_ms, 0.95) AS p95_duration_ms,
  sum(cost_usd) AS cost_usd,
  sum(cost_usd) / count(*) AS cost_per_run,
  sum(cost_usd) / nullif(count(*) FILTER (WHERE status = 'success'), 0) AS cost_per_success,
  sum(retry_cost_usd) AS retry_cost_usd,
  sum(tool_calls) / count(*) AS tool_calls_per_run,
  avg(CAST(r.prompt_version IS NOT DISTINCT FROM lp.version AS DOUBLE)) AS latest_prompt_share,
  avg(CAST(r.policy_version IS NOT DISTINCT FROM lo.version AS DOUBLE)) AS latest_policy_share,
  avg(CAST(quality_score >= $quality_pass_mark AS DOUBLE)) AS quality_pass_rate,
  count(quality_score) AS quality_scored_runs,
  CAST(sum(pv) AS BIGINT) AS policy_violations,
  CAST(sum(cpv) AS BIGINT) AS critical_policy_violations,
  any_value(t.category) AS top_failure_reason
FROM runs r
LEFT JOIN latest lp ON lp.week_start = r.week_start AND lp.workflow = r.workflow AND lp.kind = 'prompt'
LEFT JOIN latest lo ON lo.week_start = r.week_start AND lo.workflow = r.workflow AND lo.kind = 'policy'
LEFT JOIN top_err t ON t.week_start = r.week_start AND t.workflow = r.workflow AND t.segment = r.segment
GROUP BY r.week_start, r.workflow, r.segment
