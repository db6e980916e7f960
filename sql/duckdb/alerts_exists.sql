-- Whether the warehouse has the alerts table yet (replay reads it when it does).
SELECT count(*) FROM information_schema.tables WHERE table_name = 'alerts'
