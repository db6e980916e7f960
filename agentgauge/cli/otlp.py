"""``agentgauge otlp serve`` and ``otlp bridge``: OpenTelemetry spans in, agent events out."""

from __future__ import annotations

from typing import Annotated

import typer

from agentgauge.cli._base import App
from agentgauge.cli._render import console, settings
from agentgauge.settings import AppSettings
from streams.otlp.mapping import MappingConfig

app = App(help="OpenTelemetry ingest: OTLP/HTTP receiver and Collector bridge (docs/otlp.md).")

DefaultCustomer = Annotated[
    str | None,
    typer.Option(
        help="Customer id of spans that name none (else they are rejected to the DLQ)",
        show_default=False,
    ),
]
DefaultSegment = Annotated[str | None, typer.Option(help="Segment of spans that name none")]


def _mapping(s: AppSettings, customer: str | None, segment: str | None) -> MappingConfig:
    if segment is not None and not segment.strip():
        raise typer.BadParameter("must not be empty", param_hint="--default-segment")
    if customer is not None and not customer.strip():
        raise typer.BadParameter("must not be empty", param_hint="--default-customer")
    return MappingConfig(
        default_customer=customer if customer is not None else s.otlp_default_customer,
        default_segment=segment or s.otlp_default_segment,
        hold_s=s.otlp_hold_s,
    )


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 4318,
    default_customer: DefaultCustomer = None,
    default_segment: DefaultSegment = None,
    max_body_mb: Annotated[
        float | None, typer.Option(min=0.001, help="Largest body accepted, MB (after gunzip)")
    ] = None,
) -> None:
    """Receive OTLP/HTTP traces on POST /v1/traces (protobuf or JSON, gzip or not)."""
    from agentgauge.otlp.receiver import serve, tune_gc
    from streams.otlp.sink import OtlpSink

    tune_gc()
    s = settings()
    limit = int(max_body_mb * 2**20) if max_body_mb else s.otlp_max_body_bytes
    sink = OtlpSink(s, _mapping(s, default_customer, default_segment))
    console.print(
        f"OTLP/HTTP receiver on http://{host}:{port}/v1/traces -> {s.topic_events}"
        f" (rejects -> {s.topic_dlq}); Ctrl-C stops (and flushes)"
    )
    serve(sink, host, port, max_body_bytes=limit)


@app.command("bridge")
def bridge_cmd(
    topic: Annotated[str, typer.Option(help="Topic a Collector's kafka exporter writes")] = (
        "otlp_spans"
    ),
    group: Annotated[str | None, typer.Option(help="Consumer group")] = None,
    default_customer: DefaultCustomer = None,
    default_segment: DefaultSegment = None,
    stop_when_idle: Annotated[
        float | None,
        typer.Option(min=0.1, help="Exit after this many seconds with nothing to read"),
    ] = None,
) -> None:
    """Map the TracesData records (otlp_proto) a Collector writes to Kafka into agent events."""
    from agentgauge.otlp.bridge import run_bridge
    from agentgauge.otlp.receiver import tune_gc

    tune_gc()
    s = settings()
    report = run_bridge(
        s,
        topic,
        group or s.otlp_bridge_group,
        _mapping(s, default_customer, default_segment),
        stop_when_idle_s=stop_when_idle,
    )
    console.print(
        f"records {report.records} (undecodable {report.undecodable}), spans {report.spans},"
        f" events {report.events}, rejected spans {report.rejected}, commits {report.commits}"
    )
