"""OpenTelemetry ingest for the application: the OTLP/HTTP receiver and the Collector bridge.
The decoding and mapping are the SDK's (:mod:`streams.otlp`)."""
