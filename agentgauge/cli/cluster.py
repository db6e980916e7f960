"""``agentgauge cluster up|down|status``: a standalone Flink cluster on this machine."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from agentgauge.cli._base import App
from agentgauge.cli._render import Format, console, err_console, settings
from jobs.standalone import ClusterStatus, StandaloneCluster

app = App(help="A standalone Flink cluster (JobManager + TaskManagers) for `jobs start --cluster`.")


@app.command("up")
def up(
    taskmanagers: Annotated[int, typer.Option(min=1, help="TaskManager processes")] = 2,
    slots: Annotated[int, typer.Option(min=1, help="Task slots per TaskManager")] = 2,
    memory: Annotated[str, typer.Option(help="Process memory per TaskManager")] = "1536m",
) -> None:
    """Start the cluster from the installed Flink distribution, or the TaskManagers of a running
    one that are missing; its config, logs and pid files are under var/flink-cluster."""
    cluster = StandaloneCluster(settings().cluster_dir)
    with console.status(f"starting a JobManager and {taskmanagers} TaskManagers..."):
        state = cluster.up(taskmanagers, slots, memory)
    console.print(
        f"[green]cluster running[/]: {state.taskmanagers} TaskManagers x"
        f" {state.slots_per_taskmanager} slots, REST and web UI http://{state.rest_address};"
        " `agentgauge jobs start --cluster` runs the job there"
    )


@app.command("down")
def down() -> None:
    """Stop the JobManager and every TaskManager (a running job stops with them: `jobs stop`
    first to keep a savepoint)."""
    stopped = StandaloneCluster(settings().cluster_dir).down()
    console.print("cluster stopped" if stopped else "no cluster was running")


@app.command("status")
def status(
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """The cluster's TaskManagers, slots and running jobs; exits 1 unless all are up."""
    st = StandaloneCluster(settings().cluster_dir).status()
    if fmt is Format.table:
        _print(st)
    else:
        print(json.dumps(dataclasses.asdict(st), indent=2))
    if not st.running or st.problem:
        raise typer.Exit(1)


def _print(st: ClusterStatus) -> None:
    table = Table(show_header=False)
    table.add_row("state", "[green]running[/]" if st.running else "[red]not running[/]")
    table.add_row("REST / web UI", f"http://{st.rest_address}" if st.rest_address else "-")
    table.add_row("TaskManagers", f"{st.taskmanagers} of {st.taskmanagers_wanted} registered")
    table.add_row("TaskManager pids", ", ".join(map(str, st.taskmanager_pids)) or "-")
    table.add_row("slots", f"{st.slots_available} free of {st.slots_total}")
    table.add_row("jobs running", str(st.jobs_running))
    console.print(table)
    if st.problem:
        err_console.print(Text(st.problem, style="red"), soft_wrap=True)
