-- AG_REDACT(payload): the payload with the SDK's redaction rules (streams/config/redaction.yaml,
-- compiled by jobs/udf.py into the job parameter agentgauge.redaction) applied, for everything
-- the job writes out (lake, dead letters). Java (jobs/jvm/io/agentgauge/flink/Redact.java); card
-- numbers are redacted without the Luhn check (stricter than the SDK, never looser).
--   AG_REDACT('{"message":"mail bob@example.com","api_key":"sk-1"}')
--     = '{"message":"mail [REDACTED:email]","api_key":"[REDACTED:key]"}'
CREATE TEMPORARY SYSTEM FUNCTION ag_redact AS 'io.agentgauge.flink.Redact' LANGUAGE JAVA
