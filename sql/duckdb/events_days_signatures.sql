-- Each loaded day's lake signature as of its last load.
SELECT CAST(dt AS VARCHAR) AS dt, signature FROM events_days
