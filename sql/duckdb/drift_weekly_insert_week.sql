-- Week-over-week deltas and PSI for each (workflow, segment) of the week (docs/scorecard.md).
-- Bins: the previous week's deciles (quantile_cont at 0.1..0.9); v is in bin i when
-- cut[i-1] < v <= cut[i], so bin = number of cuts strictly below v (0..9). Proportions are
-- floored at 1e-4; PSI = sum((p - q) * ln(p / q)); NULL when either week has < 20 runs.
INSERT INTO drift_weekly
WITH cur AS (SELECT * FROM scorecard_weekly WHERE week_start = $week_start),
prev AS (SELECT * FROM scorecard_weekly WHERE week_start = $week_start - INTERVAL 7 DAY),
vals AS (
  SELECT CAST(week_start = $week_start AS BOOLEAN) AS is_cur, workflow, segment, 'cost' AS metric,
         cost_usd AS v
  FROM runs WHERE week_start IN ($week_start, $week_start - INTERVAL 7 DAY)
  UNION ALL
  SELECT week_start = $week_start, workflow, segment, 'duration', duration_ms
  FROM runs
  WHERE week_start IN ($week_start, $week_start - INTERVAL 7 DAY) AND duration_ms IS NOT NULL
),
cuts AS (
  SELECT workflow, segment, metric,
         quantile_cont(v, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) AS c
  FROM vals WHERE NOT is_cur GROUP BY ALL
),
binned AS (
  SELECT v.is_cur, v.workflow, v.segment, v.metric, len(list_filter(c.c, lambda x: x < v.v)) AS bin
  FROM vals v JOIN cuts c USING (workflow, segment, metric)
),
totals AS (
  SELECT workflow, segment, metric,
         count(*) FILTER (WHERE is_cur) AS n_cur, count(*) FILTER (WHERE NOT is_cur) AS n_prev
  FROM binned GROUP BY ALL
),
grid AS (
  SELECT t.*, b.bin FROM totals t CROSS JOIN range(10) AS b(bin)
),
props AS (
  SELECT
    g.workflow, g.segment, g.metric,
    greatest(count(*) FILTER (WHERE x.is_cur) / nullif(g.n_cur, 0), 1e-4) AS p,
    greatest(count(*) FILTER (WHERE NOT x.is_cur) / nullif(g.n_prev, 0), 1e-4) AS q
  FROM grid g
  LEFT JOIN binned x USING (workflow, segment, metric, bin)
  GROUP BY g.workflow, g.segment, g.metric, g.bin, g.n_cur, g.n_prev
),
psi AS (
  SELECT workflow, segment,
         CAST(sum(CAST((p - q) * ln(p / q) AS DECIMAL(38, 18))) FILTER (WHERE metric = 'cost')
           AS DOUBLE) AS cost_psi,
         CAST(sum(CAST((p - q) * ln(p / q) AS DECIMAL(38, 18))) FILTER (WHERE metric = 'duration')
           AS DOUBLE) AS duration_psi
  FROM props GROUP BY ALL
)
SELECT
  cur.week_start, cur.workflow, cur.segment, cur.runs, prev.runs AS prev_runs,
  cur.success_rate - prev.success_rate,
  cur.failure_rate - prev.failure_rate,
  cur.escalation_rate - prev.escalation_rate,
  cur.override_rate - prev.override_rate,
  cur.retry_rate - prev.retry_rate,
  cur.latest_prompt_share - prev.latest_prompt_share,
  cur.latest_policy_share - prev.latest_policy_share,
  CASE WHEN cur.runs >= 20 AND prev.runs >= 20 THEN psi.cost_psi END AS cost_psi,
  CASE WHEN cur.runs >= 20 AND prev.runs >= 20 THEN psi.duration_psi END AS duration_psi,
  coalesce(
    (cur.runs >= 20 AND prev.runs >= 20 AND (psi.cost_psi > 0.2 OR psi.duration_psi > 0.2))
    OR abs(cur.success_rate - prev.success_rate) > 0.05,
    false) AS drift_flag
FROM cur
LEFT JOIN prev USING (workflow, segment)
LEFT JOIN psi USING (workflow, segment)
