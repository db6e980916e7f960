-- Each rollup row of the run's weeks ($weeks) against the sum of the segment rows it covers,
-- for rollup_matches_segments.
SELECT r.week_start, r.workflow, r.runs AS rollup_runs, s.runs AS segment_runs,
       abs(r.cost_usd - s.cost_usd) AS cost_abs_diff
FROM scorecard_weekly_rollup r
JOIN (SELECT week_start, workflow, sum(runs) AS runs, sum(cost_usd) AS cost_usd
      FROM scorecard_weekly
      WHERE week_start IN (SELECT unnest(CAST($weeks AS DATE[])))
      GROUP BY GROUPING SETS ((week_start, workflow), (week_start))
     ) s
  ON s.week_start = r.week_start AND coalesce(s.workflow, 'ALL') = r.workflow
WHERE r.week_start IN (SELECT unnest(CAST($weeks AS DATE[])))
