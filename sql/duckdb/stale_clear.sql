-- Every week from $from_week on has been built again.
DELETE FROM scorecards_stale WHERE from_week >= CAST($from_week AS DATE)
