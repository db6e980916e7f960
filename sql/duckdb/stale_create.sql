-- The earliest week whose scorecards no longer match `runs` and `events` (a week's metrics
-- read the events of every earlier day: drift, the latest prompt and policy versions), or no
-- row when every week is current. `materialize --all` builds that week and every later one.
CREATE TABLE IF NOT EXISTS scorecards_stale (from_week DATE NOT NULL)
