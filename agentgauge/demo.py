"""The end-to-end demo on the embedded broker (``agentgauge demo``). It calls the rooms'
functions and the command line's printing helpers, never the commands themselves."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from kafka import TopicPartition
from rich.rule import Rule

from agentgauge.cli._render import alert_line, console, count_progress
from agentgauge.cli.alerts import make_router, status_table
from agentgauge.cli.jobs import print_status
from agentgauge.cli.oncall import print_replay
from agentgauge.cli.warehouse import print_report, render_table
from agentgauge.local.broker import EmbeddedBroker
from agentgauge.local.job import LocalJob
from agentgauge.settings import AppSettings
from agentgauge.simulate import INCIDENTS, SimConfig, default_start, simulate
from agentgauge.wiring import ceilings, job_config
from alerting.config import load_alerting
from alerting.receiver import LocalReceiver
from alerting.router import Router
from alerting.status import router_status
from assets._db import connect_utc
from assets.queries.replay import load_session
from assets.queries.scorecard import query_scorecard
from streams.client import Gauge
from streams.errors import BreakerOpen, BudgetExceeded
from streams.pricing import PriceTable
from streams.topics import create_topics


def _traffic(s: AppSettings, runs: int, seed: int) -> list[dict[str, Any]]:
    """Two weeks of history (with a segment's success drift), then six dense hours with the
    real-time incidents, so the windowed rules have baselines to judge against."""
    prices = PriceTable.load(s.prices_file)
    start = default_start(datetime.now(UTC))
    history = simulate(
        SimConfig(runs=runs, seed=seed, start=start, days=14, incidents=("success_drift",)),
        prices,
    )
    live_incidents = tuple(i for i in INCIDENTS if i != "success_drift")
    live = simulate(
        SimConfig(
            runs=3000,
            seed=seed + 1,
            start=start + timedelta(days=14),
            days=0.25,
            incidents=live_incidents,
        ),
        prices,
    )
    return history + live


def _emit(s: AppSettings, events: list[dict[str, Any]]) -> None:
    with (
        Gauge.for_batch(s) as gauge,
        count_progress() as bar,
    ):
        task = bar.add_task("emit to agent-events", total=len(events))
        for i, e in enumerate(events, 1):
            gauge.emit(e)
            if i % 1000 == 0:
                bar.update(task, completed=i)
        gauge.flush(300)
        bar.update(task, completed=len(events))
        st = gauge.stats()
    console.print(f"sent {st.sent}, failed {st.failed}, dropped {st.dropped}")


def _tail_alerts(s: AppSettings, job: LocalJob, quiet_s: float, timeout_s: float) -> int:
    consumer = s.connection().consumer()
    tps = [
        TopicPartition(s.topic_alerts, p)
        for p in consumer.partitions_for_topic(s.topic_alerts) or [0]
    ]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen = 0
    last = time.monotonic()
    deadline = last + timeout_s
    cfg = job_config(s)
    while time.monotonic() < deadline:
        batch = consumer.poll(timeout_ms=1000)
        for records in batch.values():
            for rec in records:
                console.print(alert_line(orjson.loads(rec.value)))
                seen += 1
                last = time.monotonic()
        if time.monotonic() - last > quiet_s and job.status(cfg).lag == 0:
            break
    consumer.close()
    return seen


_DEMO_ALERTING = """\
# Written by `agentgauge demo`: every alert to a local signed webhook, critical ones also in
# Slack's format, both served by the demo's local receiver.
version: 1
runbook_base_url: file://{root}/
destinations:
  local-webhook: {{type: webhook, url: "{url}/alerts", secret_env: DEMO_WEBHOOK_SECRET}}
  local-slack: {{type: slack, url: "{url}/slack"}}
routes:
  - to: [local-webhook]
  - match: {{severity: [critical]}}
    to: [local-slack]
"""


@contextlib.contextmanager
def _on_call(s: AppSettings) -> Iterator[tuple[LocalReceiver, Router]]:
    """A local webhook receiver (checks the HMAC signature) and the alert router feeding it."""
    secret = secrets.token_hex(16)
    with LocalReceiver(secret=secret) as receiver:
        path = s.var_dir / "demo" / "alerting.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Runbook links point at this checkout's docs/runbooks (the demo runs from its root).
        path.write_text(_DEMO_ALERTING.format(url=receiver.url, root=Path.cwd()))
        cfg = load_alerting(path, env={"DEMO_WEBHOOK_SECRET": secret})
        alerts_dir = s.var_dir / "demo" / "alerts"  # the demo's own ledger, fresh every time
        shutil.rmtree(alerts_dir, ignore_errors=True)
        router = make_router(
            s, cfg, group_id=f"agentgauge-demo-{secrets.token_hex(4)}", alerts_dir=alerts_dir
        )
        thread = threading.Thread(target=router.run, name="alert-router", daemon=True)
        thread.start()
        console.print(f"alert router -> local webhook receiver at {receiver.url} ({path})")
        try:
            yield receiver, router
        finally:
            router.stop.set()
            thread.join(timeout=60)


def _show_delivery(receiver: LocalReceiver, router: Router) -> str | None:
    """What on-call received; returns the run of the first cost-breaker alert."""
    deadline = time.monotonic() + 30
    while router.tracker.in_flight() and time.monotonic() < deadline:
        time.sleep(0.2)
    hooks = [r for r in receiver.received if r.path == "/alerts"]
    slack = [r for r in receiver.received if r.path == "/slack"]
    verified = sum(1 for r in hooks if r.verified)
    console.print(
        f"local receiver: {len(hooks)} signed webhooks ({verified} with a valid HMAC-SHA256 "
        f"signature), {len(slack)} Slack messages for critical alerts"
    )
    st = router_status(router.connection, router.topic, router.group_id, router.alerts_dir)
    console.print(status_table(st))
    breach = next((r for r in hooks if r.body.get("rule") == "run_cost_ceiling"), None)
    if breach is None:
        return None
    console.print("the first cost-breaker alert, as the on-call webhook received it:")
    console.print_json(orjson.dumps(breach.body).decode())
    alert_id = str(breach.body["alert_id"])
    msg = next((r for r in slack if alert_id in orjson.dumps(r.body).decode()), None)
    if msg is not None:
        console.print(f"and in Slack: [bold]{msg.body['text']}[/]")
    return str(breach.body["run_id"])


def _show_halts(s: AppSettings) -> bool:
    """A run halted by its own budget, then a customer halted by the job: a live crossing event,
    the job's breaker on agent-controls, and a new run of that customer refused."""
    customer = f"cust-demo-{uuid.uuid4().hex[:4]}"
    with Gauge(s) as gauge:
        try:
            with gauge.run(
                workflow="refund_approval", customer_id="cust-0007", segment="smb", budget_usd=0.02
            ) as run:
                for _ in range(10):
                    run.model_call("gpt-4o", input_tokens=3000, output_tokens=200)
        except BudgetExceeded as exc:
            console.print(f"run {run.run_id} [bold]halted by its budget[/]: {exc.reason}")
        # One $30 call takes the customer past its hourly ceiling (and the run past its own
        # budget, which halts it here): the job opens the customer's breaker.
        with (
            contextlib.suppress(BudgetExceeded),
            gauge.run(workflow="refund_approval", customer_id=customer, segment="smb") as big,
        ):
            big.model_call("claude-opus-4", cost_usd=30.0)
        gauge.flush(10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with gauge.run(workflow="refund_approval", customer_id=customer, segment="smb"):
                    pass
            except BreakerOpen as exc:
                console.print(
                    f"customer {customer} [bold]halted by the job[/]: a new run raised "
                    f"BreakerOpen ({exc.reason})"
                )
                return True
            time.sleep(0.2)
    console.print("[red]the job's customer breaker did not arrive within 60 s[/]")
    return False


def _otlp_trace(trace_id: str) -> bytes:
    """What an OpenTelemetry-instrumented agent's exporter posts (OTLP/JSON): a root span, a
    chat call with GenAI usage attributes and a tool call; identity on the resource."""

    def attrs(**kv: Any) -> list[dict[str, Any]]:
        return [
            {"key": k.replace("__", "."), "value": {"intValue": str(v)}}
            if isinstance(v, int)
            else {"key": k.replace("__", "."), "value": {"stringValue": v}}
            for k, v in kv.items()
        ]

    t0 = time.time_ns()
    span = {"traceId": trace_id, "kind": 1, "status": {}}
    spans = [
        {
            **span,
            "spanId": "b7ad6b7169203331",
            "parentSpanId": "a1b2c3d4e5f60718",
            "name": "chat gpt-4o",
            "startTimeUnixNano": str(t0 + 10**8),
            "endTimeUnixNano": str(t0 + 9 * 10**8),
            "attributes": attrs(
                gen_ai__operation__name="chat",
                gen_ai__request__model="gpt-4o",
                gen_ai__usage__input_tokens=2400,
                gen_ai__usage__output_tokens=310,
            ),
        },
        {
            **span,
            "spanId": "c4e1f0a9d8b76532",
            "parentSpanId": "a1b2c3d4e5f60718",
            "name": "execute_tool order_lookup",
            "startTimeUnixNano": str(t0 + 10**9),
            "endTimeUnixNano": str(t0 + 12 * 10**8),
            "attributes": attrs(
                gen_ai__operation__name="execute_tool",
                gen_ai__tool__name="order_lookup",
                gen_ai__tool__call__arguments='{"order": "A-1042"}',
            ),
        },
        {
            **span,
            "spanId": "a1b2c3d4e5f60718",
            "name": "invoke_agent refund_approval",
            "startTimeUnixNano": str(t0),
            "endTimeUnixNano": str(t0 + 13 * 10**8),
        },
    ]
    resource = {
        "attributes": attrs(
            service__name="refund_approval",
            agentgauge__customer_id="cust-0042",
            agentgauge__segment="enterprise",
        )
    }
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    return orjson.dumps(body)


def _show_otlp(s: AppSettings) -> bool:
    """An agent already on OpenTelemetry: its exporter posts a trace to the OTLP receiver (no
    code change in the agent); the spans arrive on agent-events as contract events."""
    import httpx

    from agentgauge.otlp.receiver import running
    from streams.otlp.sink import OtlpSink

    sink = OtlpSink(s)
    trace_id = secrets.token_hex(16)
    with running(sink, port=_free_port()) as url:
        r = httpx.post(
            f"{url}/v1/traces",
            content=_otlp_trace(trace_id),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        st = sink.stats()
        console.print(
            f"POST {url}/v1/traces -> {r.status_code} {r.text}: {st.spans} spans -> {st.events}"
            f" events (run_id = trace id {trace_id})"
        )
    done = sink.stats().gauge
    ok = r.status_code == 200 and done.sent == st.events == 4
    if not ok:
        console.print(f"[red]the OTLP receiver did not deliver the trace: {done}[/]")
    return ok


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_demo(s: AppSettings, runs: int = 2000, keep: bool = False) -> bool:
    """Broker, streaming job, traffic with incidents, alerts as they arrive, weekly scorecard.
    Returns whether every step succeeded."""
    broker = EmbeddedBroker(s.var_dir, s.broker_port)
    job = LocalJob(s)
    console.print(Rule("1. embedded broker (Tansu, memory storage)"))
    st = broker.start()
    console.print(f"broker ready on {st.bootstrap}")
    try:
        console.print(Rule("2. topics"))
        for name, state in create_topics(s).items():
            console.print(f"  {name}: {state}")
        console.print(Rule("3. the Flink job, streaming (local MiniCluster)"))
        if job.pid() is None:
            # Fresh: state saved by an earlier demo holds positions in topics the memory-only
            # broker no longer has (docs/broker.md); this demo's traffic starts the topic anew.
            with console.status("starting the job..."):
                job.start(job_config(s, checkpoint_interval_s=5.0, resume=False))
        console.print("job running: validation, de-duplication, ceilings, anomaly rules, lake")
        with _on_call(s) as (receiver, router):
            console.print(Rule("4. simulated traffic with injected incidents -> agent-events"))
            _emit(s, _traffic(s, runs, seed=7))
            console.print(Rule("5. alerts on agent-alerts, as they arrive"))
            n = _tail_alerts(s, job, quiet_s=15, timeout_s=240)
            console.print(f"{n} alerts")
            console.print(Rule("6. delivered to on-call (alert router -> local webhook)"))
            breached_run = _show_delivery(receiver, router)
            console.print(Rule("6b. the agent halts, not just the pager (docs/breaker.md)"))
            halted = _show_halts(s)
            console.print(Rule("6c. an agent already on OpenTelemetry (docs/otlp.md)"))
            otlp_ok = _show_otlp(s)
        console.print(Rule("7. job status"))
        print_status(job.status(job_config(s)))
        console.print(Rule("8. stop the job with a savepoint (commits the lake's last files)"))
        with console.status("stopping the job..."):
            job.stop()
        console.print(Rule("9. Dagster: lake -> DuckDB -> weekly scorecards, checked by GX"))
        from dagster_project.run import materialize  # Dagster is slow to import

        with console.status("materializing...") as status:
            report = materialize(s, None, lambda msg: status.update(f"materializing {msg}"))
        if not print_report(report, s.duckdb_path) or not (halted and otlp_ok):
            return False
        console.print(Rule("10. the weekly scorecard leadership reads"))
        from assets.report.asset import write_report

        with connect_utc(str(s.duckdb_path), read_only=True) as conn:
            console.print(render_table(query_scorecard(conn, None, None, None)))
            page, _ = write_report(conn, None, None, s.reports_dir)
        console.print(
            f"query it yourself: duckdb -readonly {s.duckdb_path} "
            '"SELECT * FROM scorecard ORDER BY week_start DESC"'
        )
        console.print(
            f"the weekly review (HTML, docs/report.md): {page.resolve().as_uri()}", soft_wrap=True
        )
        if breached_run:
            console.print(
                Rule(f"11. on-call replays the breached run: agentgauge replay {breached_run}")
            )
            session = load_session(
                s.lake_path, breached_run, ceilings(s).run_cost_usd, s.duckdb_path
            )
            print_replay(session, breached_run)
        return True
    finally:
        if not keep:
            with console.status("stopping the job (savepoint) and the broker..."):
                job.stop()
                broker.stop()
            console.print("job and broker stopped")
