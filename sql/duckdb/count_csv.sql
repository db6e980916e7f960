-- Rows of an exported CSV file ($file).
SELECT count(*) FROM read_csv($file)
