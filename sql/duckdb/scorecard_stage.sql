-- All scorecard metrics of one ISO week ($week_start, $week_end) at three levels: per
-- (workflow, segment), per workflow across segments, and overall (GROUPING SETS), so every level
-- is computed from runs, never averaged from the level below. Definitions: docs/scorecard.md.
-- $quality_pass_mark: a run passes the gold-set check when quality_score >= it (config/gates.yaml).
CREATE OR REPLACE TEMP TABLE scorecard_stage AS
WITH wk AS (
  SELECT * FROM runs WHERE week_start = $week_start
),
prompt_latest AS (
  -- a workflow's latest prompt version as of the week's end: the most recent first appearance
  SELECT workflow, prompt_version
  FROM (SELECT workflow, prompt_version, min(ts) AS first_ts FROM events
        WHERE prompt_version IS NOT NULL AND ts < $week_end GROUP BY ALL)
  QUALIFY row_number() OVER (PARTITION BY workflow ORDER BY first_ts DESC, prompt_version DESC) = 1
),
policy_latest AS (
  SELECT workflow, policy_version
  FROM (SELECT workflow, policy_version, min(ts) AS first_ts FROM events
        WHERE policy_version IS NOT NULL AND ts < $week_end GROUP BY ALL)
  QUALIFY row_number() OVER (PARTITION BY workflow ORDER BY first_ts DESC, policy_version DESC) = 1
),
flagged AS (
  SELECT
    wk.*,
    CAST(wk.prompt_version IS NOT DISTINCT FROM pl.prompt_version AS DOUBLE) AS on_latest_prompt,
    CAST(wk.policy_version IS NOT DISTINCT FROM ol.policy_version AS DOUBLE) AS on_latest_policy
  FROM wk
  LEFT JOIN prompt_latest pl USING (workflow)
  LEFT JOIN policy_latest ol USING (workflow)
),
err AS (
  SELECT f.workflow, f.segment, e.category, GROUPING(f.workflow, f.segment) AS g, count(*) AS n
  FROM events e JOIN flagged f USING (run_id)
  WHERE e.event_type = 'error'
  GROUP BY GROUPING SETS ((f.workflow, f.segment, e.category), (f.workflow, e.category), (e.category))
),
top_err AS (
  SELECT workflow, segment, g, category
  FROM err
  QUALIFY row_number() OVER (PARTITION BY workflow, segment, g ORDER BY n DESC, category) = 1
),
metrics AS (
  SELECT
    workflow, segment, GROUPING(workflow, segment) AS g,
    count(*) AS runs,
    avg(CAST(status = 'success' AS DOUBLE)) AS success_rate,
    avg(CAST(status = 'failure' AS DOUBLE)) AS failure_rate,
    avg(CAST(escalated AS DOUBLE)) AS escalation_rate,
    avg(CAST(overridden AS DOUBLE)) AS override_rate,
    avg(CAST(retries > 0 AS DOUBLE)) AS retry_rate,
    sum(retries) / count(*) AS retries_per_run,
    quantile_cont(duration_ms, 0.5) AS p50_duration_ms,
    quantile_cont(duration_ms, 0.95) AS p95_duration_ms,
    -- money summed in exact decimals (the same bytes whatever order the threads add in)
    CAST(sum(CAST(cost_usd AS DECIMAL(38, 12))) AS DOUBLE) AS cost_usd,
    CAST(sum(CAST(cost_usd AS DECIMAL(38, 12))) AS DOUBLE) / count(*) AS cost_per_run,
    CAST(sum(CAST(cost_usd AS DECIMAL(38, 12))) AS DOUBLE)
      / nullif(count(*) FILTER (WHERE status = 'success'), 0) AS cost_per_success,
    CAST(sum(CAST(retry_cost_usd AS DECIMAL(38, 12))) AS DOUBLE) AS retry_cost_usd,
    sum(tool_calls) / count(*) AS tool_calls_per_run,
    avg(on_latest_prompt) AS latest_prompt_share,
    avg(on_latest_policy) AS latest_policy_share,
    avg(CAST(quality_score >= $quality_pass_mark AS DOUBLE)) AS quality_pass_rate,
    count(quality_score) AS quality_scored_runs,
    CAST(sum(policy_violations) AS BIGINT) AS policy_violations,
    CAST(sum(critical_policy_violations) AS BIGINT) AS critical_policy_violations
  FROM flagged
  GROUP BY GROUPING SETS ((workflow, segment), (workflow), ())
)
SELECT
  CAST($week_start AS DATE) AS week_start,
  CASE m.g WHEN 0 THEN 'segment' WHEN 1 THEN 'workflow' ELSE 'overall' END AS level,
  coalesce(m.workflow, 'ALL') AS workflow,
  coalesce(m.segment, 'ALL') AS segment,
  m.* EXCLUDE (workflow, segment, g),
  t.category AS top_failure_reason
FROM metrics m
LEFT JOIN top_err t
  ON t.g = m.g AND t.workflow IS NOT DISTINCT FROM m.workflow
  AND t.segment IS NOT DISTINCT FROM m.segment
