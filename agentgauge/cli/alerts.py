"""``agentgauge alerts tail|route|status|redeliver|ack|resolve|receive``: on call."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from kafka import TopicPartition
from rich.table import Table
from rich.text import Text

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, alert_line, console, err_console, settings
from agentgauge.settings import AppSettings
from alerting.config import AlertingConfig, load_alerting
from alerting.ledger import Outcome
from alerting.receiver import LocalReceiver, Received
from alerting.redeliver import redeliver
from alerting.router import Router
from alerting.status import RouterStatus, router_status
from assets.queries.alert_actions import Action, record_action
from assets.resources import AlertsSource
from streams.errors import ConfigError, KafkaUnavailable, TopicMissing

app = App(help="Alerts on agent-alerts.")


@app.command("tail")
def tail(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep waiting for new ones")
    ] = False,
    rule: Annotated[str | None, typer.Option(help="Only this rule")] = None,
    severity: Annotated[str | None, typer.Option(help="critical or warning")] = None,
) -> None:
    """Print the alerts on the topic from the beginning (and, with --follow, as they arrive)."""
    s = settings()
    conn = s.connection()
    if not conn.reachable():
        raise KafkaUnavailable(f"cannot reach Kafka at {s.bootstrap_servers}")
    consumer = conn.consumer()
    parts = consumer.partitions_for_topic(s.topic_alerts)
    if not parts:
        consumer.close()
        raise TopicMissing(f"no topic {s.topic_alerts}: `agentgauge topics create` first")
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


ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="alerting.yaml (default: the alerting_file setting)")
]
AlertIdArg = Annotated[str, typer.Argument(help="alert_id, or at least its first 6 characters")]
ByOption = Annotated[str | None, typer.Option(help="Who (default: your login)")]


def _alerting(config: Path | None, s: AppSettings) -> AlertingConfig:
    """The alerting config (AlertingConfigError, exit 2, names what is wrong with it)."""
    return load_alerting(config or s.alerting_file)


def make_router(s: AppSettings, cfg: AlertingConfig, **kwargs: Any) -> Router:
    kwargs.setdefault("group_id", s.router_group)
    kwargs.setdefault("alerts_dir", s.alerts_dir)
    kwargs.setdefault("controls_topic", s.topic_controls)
    return Router(s.connection(), s.topic_alerts, cfg, **kwargs)


_OUTCOME_STYLE = {"delivered": "green", "parked": "bold red", "suppressed": "yellow"}


def _print_outcome(o: Outcome, alert: dict[str, Any]) -> None:
    extra = f"{o.send_ms:.0f} ms" if o.send_ms is not None else ""
    if o.attempts > 1:
        extra += f", attempt {o.attempts}"
    if o.reason:
        extra += f" ({o.reason})"
    console.print(
        f"[{_OUTCOME_STYLE[o.outcome]}]{o.outcome:10}[/] {o.destination:18} "
        f"{alert.get('rule', '?'):23} {o.alert_id}  {extra}"
    )


@app.command("route")
def route(
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option(help="Do not print each outcome")] = False,
) -> None:
    """Deliver alerts from agent-alerts to Slack, PagerDuty and webhooks until stopped."""
    s = settings()
    cfg = _alerting(config, s)
    router = make_router(s, cfg, on_outcome=None if quiet else _print_outcome)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: router.stop.set())
    console.print(
        f"routing {s.topic_alerts} -> {', '.join(cfg.destinations)} "
        f"(group {router.group_id}, ledger {router.ledger.path})"
    )
    router.run()
    console.print("router stopped; offsets committed up to the last finished alert")


@app.command("redeliver")
def redeliver_cmd(
    config: ConfigOption = None,
    destination: Annotated[str | None, typer.Option(help="Only this destination")] = None,
) -> None:
    """Re-send the alerts still parked (after fixing a destination); safe while routing."""
    s = settings()
    cfg = _alerting(config, s)
    if destination and destination not in cfg.destinations:
        raise ConfigError(f"no destination {destination!r} in the alerting config")

    def show(alert_id: str, dest: str, ok: bool, error: str) -> None:
        state = "[green]delivered[/]" if ok else f"[red]still parked[/] ({error})"
        console.print(f"{dest:18} {alert_id}  {state}")

    res = redeliver(cfg, s.alerts_dir, destination, on_outcome=show)
    console.print(
        f"{len(res.delivered)} delivered, {len(res.still_parked)} still parked"
        + (
            f", {res.unknown_destination} for destinations no longer configured"
            if res.unknown_destination
            else ""
        )
    )
    if res.still_parked:
        raise typer.Exit(1)


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def status_table(st: RouterStatus) -> Table:
    table = Table(title="deliveries per destination")
    for col in ("destination", "delivered", "parked", "suppressed", "retries", "failed attempts"):
        table.add_column(col, justify="left" if col == "destination" else "right")
    table.add_column("latency p50 / p99 ms", justify="right")
    table.add_column("HTTP p50 ms", justify="right")
    table.add_column("last delivered")
    for d in st.destinations:
        suppressed = ", ".join(f"{n} {r}" for r, n in sorted(d.suppressed.items())) or "0"
        table.add_row(
            d.name,
            str(d.delivered),
            f"[red]{d.parked}[/]" if d.parked else "0",
            suppressed,
            str(d.retries),
            str(d.failed_attempts),
            f"{_ms(d.latency_p50_ms)} / {_ms(d.latency_p99_ms)}",
            _ms(d.send_p50_ms),
            (d.last_delivered_at or "-")[:19],
        )
    return table


@app.command("status")
def status(
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """The router: running or not, its lag, and per destination deliveries, failures,
    retries and latency."""
    s = settings()
    st = router_status(s.connection(), s.topic_alerts, s.router_group, s.alerts_dir)
    if fmt is not Format.table:
        console.print_json(json.dumps(dataclasses.asdict(st)))
        return
    state = "[green]running[/]" if st.running else "[yellow]not running[/]"
    lag = "unknown (broker unreachable)" if st.lag is None else str(st.lag)
    console.print(
        f"router {state} (pid {st.pid or '-'}, last poll {st.last_poll_at or 'never'}); "
        f"lag {lag}; read {st.consumed} since start, {st.duplicates_skipped} duplicates skipped"
    )
    console.print(status_table(st))
    parked = sum(d.parked for d in st.destinations)
    note = (
        f"parked now: {parked} (`agentgauge alerts redeliver` re-sends them); "
        f"{st.parked_lines} parking records in {st.parked_file}"
    )
    console.print(f"[red]{note}[/]" if parked else note)
    if st.problem:
        err_console.print(Text(st.problem, style="red"), soft_wrap=True)


_DONE = {"ack": "acknowledged", "resolve": "resolved"}


def _act(action: Action, alert_id: str, by: str | None, note: str | None) -> None:
    s = settings()
    actor = by or getpass.getuser()
    source = AlertsSource(s.connection(), s.topic_alerts)

    def read_topic() -> list[dict[str, Any]]:
        try:
            return source.read()
        except (KafkaUnavailable, TopicMissing):
            return []

    res = record_action(
        s.duckdb_work_path,
        alert_id,
        action,
        actor,
        datetime.now(UTC),
        note,
        read_topic,
        published=s.duckdb_path,
    )
    a = res.alert
    what = f"{a['rule']} ({a['severity']}) on {a['workflow']} {a.get('run_id') or ''}".rstrip()
    if not res.recorded and res.previous:
        p = res.previous
        when = p["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        console.print(
            f"{a['alert_id']} was already {_DONE[p['action']]} by {p['actor']} at {when};"
            " nothing recorded",
            soft_wrap=True,
        )
        return
    after = res.at - a["detected_at"]
    console.print(
        f"{a['alert_id']} {what}: {_DONE[action]} by {actor} "
        f"{after.total_seconds() / 60:,.1f} min after detection",
        soft_wrap=True,
    )


@app.command("ack")
def ack(
    alert_id: AlertIdArg,
    by: ByOption = None,
    note: Annotated[str | None, typer.Option(help="A note for the record")] = None,
) -> None:
    """Acknowledge an alert: who and when, in the warehouse (alerts_weekly: time to ack)."""
    _act("ack", alert_id, by, note)


@app.command("resolve")
def resolve(
    alert_id: AlertIdArg,
    by: ByOption = None,
    note: Annotated[str | None, typer.Option(help="What fixed it")] = None,
) -> None:
    """Resolve an alert: who and when, in the warehouse."""
    _act("resolve", alert_id, by, note)


@app.command("receive")
def receive(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8787,
    secret_env: Annotated[
        str | None, typer.Option(help="Variable holding the webhook secret: verify signatures")
    ] = None,
) -> None:
    """A local webhook receiver that prints what the router sends: try alerting.yaml safely."""
    secret = None
    if secret_env:
        secret = os.environ.get(secret_env)
        if not secret:
            raise ConfigError(f"environment variable {secret_env} is not set")

    def show(r: Received) -> None:
        signed = {True: "[green]signature ok[/]", None: "[dim]unsigned[/]"}[r.verified]
        alert = r.body if "alert_id" in r.body else r.body.get("payload", {}).get("custom_details")
        line = alert_line(alert) if isinstance(alert, dict) else r.body.get("text", "")
        console.print(f"{r.path} {signed} ", line)

    try:
        receiver = LocalReceiver(port=port, secret=secret, on_receive=show)
    except OSError as exc:
        err_console.print(f"[red]cannot listen on 127.0.0.1:{port}: {exc.strerror}[/]")
        raise typer.Exit(1) from None
    with receiver:
        console.print(f"listening on {receiver.url} (Ctrl-C to stop)")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
