"""OpenTelemetry ingest: OTLP trace payloads (HTTP bodies, Collector Kafka records) decoded
(:mod:`.spans`), mapped to contract-v1 events (:mod:`.mapping`, the attribute names in
:mod:`.keys`, the table in docs/otlp.md) and sent through the SDK (:mod:`.sink`).

Decoding protobuf needs the ``otlp`` extra (``opentelemetry-proto``); the rest needs only the
SDK's dependencies."""
