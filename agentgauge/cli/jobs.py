"""``agentgauge jobs start|stop|status|run --bounded``: the Flink job."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, console, err_console, settings
from agentgauge.local.job import JobStatus, LocalJob, cluster_address
from agentgauge.wiring import job_config, job_environment
from streams.offsets import true_end_offsets

app = App(help="The real-time Flink job (a local MiniCluster, or a Flink cluster).")


@app.command("start")
def start(
    checkpoint_interval: Annotated[float, typer.Option(help="Seconds between checkpoints")] = 5.0,
    parallelism: Annotated[int, typer.Option(min=1)] = 2,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Start from the group's committed offsets with empty rule state, ignoring saved"
            " checkpoints (needed once after an upgrade that changed the job's graph, or after"
            " the topic was recreated: then from the topic's start)",
        ),
    ] = False,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="Run on the Flink cluster of `agentgauge cluster up` (or the session cluster"
            " at AGENTGAUGE_FLINK_CLUSTER, host:port), submitted with `flink run` as"
            " infra/flink/submit.sh does, instead of a MiniCluster in the runner's process",
        ),
    ] = False,
) -> None:
    """Run the job in streaming mode, detached; resumes from the latest checkpoint."""
    s = settings()
    address = cluster_address(s) if cluster else None
    cfg = job_config(
        s,
        checkpoint_interval_s=checkpoint_interval,
        parallelism=parallelism,
        resume=not fresh,
        cluster=address,
    )
    where = f" on the cluster at {address}" if address else ""
    with console.status(f"starting the Flink job{where}..."):
        job_id = LocalJob(s).start(cfg)
    console.print(f"[green]job running{where}[/] ({job_id}); `agentgauge jobs status` to watch it")


@app.command("stop")
def stop() -> None:
    """Stop the job with a savepoint; the next start resumes from it."""
    with console.status("stopping with a savepoint..."):
        stopped = LocalJob(settings()).stop()
    console.print("job stopped" if stopped else "no job was running")


@app.command("status")
def status(
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Show whether the job runs, its lag, checkpoints, restarts, the last failure, and the
    alert and DLQ counts; exits 1 when the job is not healthy."""
    s = settings()
    job = LocalJob(s)
    # Judged by what the job was started with (group, checkpoint interval), not the defaults.
    st = job.status(job.started_config() or job_config(s))
    if fmt is Format.table:
        print_status(st)
    else:
        print(json.dumps(dataclasses.asdict(st), indent=2))
    if not st.healthy:
        raise typer.Exit(1)


def print_status(st: JobStatus) -> None:
    table = Table(show_header=False)
    table.add_row("state", f"{st.state} (pid {st.pid})" if st.pid else st.state)
    where = f" on {st.cluster}" if st.cluster else ""
    table.add_row(
        "flink job", f"{st.job_id}{where}, parallelism {st.parallelism}" if st.job_id else "-"
    )
    table.add_row("lag (events)", "-" if st.lag is None else str(st.lag))
    age = st.latest_checkpoint_age_s
    table.add_row("checkpoints", f"{st.checkpoints}" + (f", latest {age:.0f}s ago" if age else ""))
    table.add_row("alerts on topic", "-" if st.alerts is None else str(st.alerts))
    table.add_row("DLQ records", "-" if st.dlq is None else str(st.dlq))
    table.add_row("restarts (10 min)", str(st.restarts_10m))
    table.add_row("late events", "-" if st.late_events is None else str(st.late_events))
    if st.last_failure:
        f = st.last_failure
        table.add_row(
            "last failure",
            Text(f"{f['at'][:19]} {f['exception']}: {f['message'][:200]} (in {f['operator']})"),
        )
    table.add_row("health", "[green]healthy[/]" if st.healthy else "[red]not healthy[/]")
    console.print(table)
    if st.problem:
        err_console.print(Text(st.problem, style="red"), soft_wrap=True)


@app.command("run")
def run(
    bounded: Annotated[bool, typer.Option("--bounded", help="Stop at the topic's current end")],
) -> None:
    """Process everything in the topic up to its current end, then exit (backfills, tests)."""
    if not bounded:
        err_console.print("only --bounded runs in the foreground; use `jobs start` to stream")
        raise typer.Exit(2)
    s = settings()
    os.environ.update(job_environment(s))  # before the job's JVM starts in this process
    from jobs.runner import run_bounded

    conn = s.connection()
    before_alerts = sum(true_end_offsets(conn, s.topic_alerts).values())
    before_dlq = sum(true_end_offsets(conn, s.topic_dlq).values())
    t0 = time.monotonic()
    with console.status("running the job over the topic (bounded)..."):
        run_bounded(job_config(s, group_id="agentgauge-backfill"))
    alerts = sum(true_end_offsets(conn, s.topic_alerts).values()) - before_alerts
    dlq = sum(true_end_offsets(conn, s.topic_dlq).values()) - before_dlq
    console.print(
        f"bounded run done in {time.monotonic() - t0:.1f}s: "
        f"{alerts} new alerts, {dlq} new DLQ records"
    )
