-- The lake's committed files ($files) as landed, one row per unique event_id (first landed
-- wins), in event-time order. Columns as in the files (union by name); event_id stays text
-- (DuckDB would infer UUID, which some Parquet readers load as raw bytes).
SELECT * REPLACE (CAST(event_id AS VARCHAR) AS event_id)
FROM read_json($files, format = 'newline_delimited', union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
ORDER BY ts, event_id
