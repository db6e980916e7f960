-- Idempotent load, step 3b: of each repeated id ($ids, events_repeated_ids.sql), keep the first
-- arrival and delete the batch's other rows ($days; $files: the batch's files day by day,
-- oldest-landed first within a day). A row another day already holds wins (it sorts first);
-- then the earlier day, the earlier-landed file, the earlier ts.
-- Example: part-a (landed first) and part-b hold e1 on 2026-11-03: part-b's row goes; and if
-- 2026-11-10 (another batch, loaded before) holds e1 too, part-a's row goes as well.
DELETE FROM events
WHERE rowid IN (
  SELECT rowid
  FROM events
  WHERE event_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))
  QUALIFY dt IN (SELECT unnest(CAST($days AS DATE[])))
    AND row_number() OVER (
      PARTITION BY event_id
      ORDER BY dt IN (SELECT unnest(CAST($days AS DATE[]))), list_position($files, source_file), ts
    ) > 1
)
