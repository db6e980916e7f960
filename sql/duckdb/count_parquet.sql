-- Rows of an exported Parquet file ($file).
SELECT count(*) FROM read_parquet($file)
