"""CLI: ``agentgauge alerts tail``: alerts from the topic, readable and coloured."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from kafka import KafkaConsumer, TopicPartition

from streams.alert_format import alert_line
from streams.cli.common import console, err_console, settings

alerts_app = typer.Typer(help="Alerts on agent-alerts.")


@alerts_app.command("tail")
def tail(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep waiting for new ones")
    ] = False,
    rule: Annotated[str | None, typer.Option(help="Only this rule")] = None,
    severity: Annotated[str | None, typer.Option(help="critical or warning")] = None,
) -> None:
    """Print the alerts on the topic from the beginning (and, with --follow, as they arrive)."""
    s = settings()
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=s.bootstrap_servers.split(","),
            enable_auto_commit=False,
            **s.kafka_security(),
        )
    except Exception as exc:
        err_console.print(f"[red]cannot reach Kafka at {s.bootstrap_servers}:[/] {exc}")
        raise typer.Exit(1) from None
    parts = consumer.partitions_for_topic(s.topic_alerts)
    if not parts:
        err_console.print(f"no topic {s.topic_alerts}: `agentgauge topics create` first")
        raise typer.Exit(1)
    tps = [TopicPartition(s.topic_alerts, p) for p in parts]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    shown = 0
    try:
        while True:
            batch = consumer.poll(timeout_ms=1000)
            if not batch and not follow:
                break
            for records in batch.values():
                for rec in records:
                    try:
                        alert = orjson.loads(rec.value)
                    except orjson.JSONDecodeError:
                        continue
                    if (rule and alert.get("rule") != rule) or (
                        severity and alert.get("severity") != severity
                    ):
                        continue
                    console.print(alert_line(alert))
                    shown += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    if not follow:
        console.print(f"[dim]{shown} alert(s)[/]")
