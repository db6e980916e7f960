-- Sink: the lake. One JSON line per valid, unique event (the redacted payload, extras kept),
-- partitioned by the UTC date of the event time: var/lake/events/dt=2026-11-16/part-....
-- Format 'agentgauge-lines' (jobs/jvm/io/agentgauge/flink/LakeLines.java): the payload and a
-- newline, buffered. Part files roll and are committed on every checkpoint; readers ignore
-- in-progress (dot-prefixed) files.
CREATE TABLE lake_events (
  payload STRING,
  dt STRING
) PARTITIONED BY (dt) WITH ({{lake_options}})
