"""The detached local job: start, stop and status, with pid/state/log files under var/jobs/."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from agentgauge.local.procs import pid_alive, terminate
from agentgauge.settings import AppSettings
from agentgauge.wiring import job_environment
from jobs.checkpoints import restore_points
from jobs.config import JOB_ENVIRONMENT, JOB_JVM_OPTIONS, JobConfig
from jobs.positions import beyond_end, committed_offsets, describe_beyond_end
from jobs.standalone import StandaloneCluster
from streams.errors import AgentgaugeError
from streams.lake import committed_files
from streams.offsets import true_end_offsets


class JobError(AgentgaugeError):
    """The local job cannot start, or stopped with an error."""


@dataclass(frozen=True)
class JobStatus:
    running: bool
    pid: int | None
    job_id: str | None
    state: str
    lag: int | None
    checkpoints: int
    latest_checkpoint: str | None
    latest_checkpoint_age_s: float | None
    alerts: int | None
    dlq: int | None
    healthy: bool
    problem: str | None = None
    late_events: int | None = None  # valid events behind the watermark (the windows miss them)
    restarts_10m: int = 0  # failover restarts in the last 10 minutes
    last_failure: dict[str, str] | None = None  # at, exception, message, operator
    cluster: str | None = None  # the Flink cluster's REST address; None: the local MiniCluster
    parallelism: int | None = None  # what it runs at (lower after a TaskManager was lost)


def cluster_address(settings: AppSettings) -> str:
    """Where `jobs start --cluster` submits: the session cluster at ``flink_cluster``, or the
    standalone cluster of `agentgauge cluster up`."""
    if settings.flink_cluster:
        return settings.flink_cluster
    state = StandaloneCluster(settings.cluster_dir).state()
    if state is None:
        raise JobError(
            f"no Flink cluster in {settings.cluster_dir}: `agentgauge cluster up` first (or set"
            " AGENTGAUGE_FLINK_CLUSTER to a session cluster's REST address, host:port)"
        )
    return state.rest_address


def _count_lines(root: Path) -> int | None:
    """Lines in the committed files of a lake-layout folder (None when it has none yet)."""
    if not root.exists():
        return None
    return sum(f.read_bytes().count(b"\n") for f in committed_files(root))


class LocalJob:
    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.dir = settings.var_dir.resolve() / "jobs"
        self.pid_file = self.dir / "job.pid"
        self.state_file = self.dir / "state.json"
        self.config_file = self.dir / "job.json"
        self.log_file = self.dir / "job.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def start(self, config: JobConfig, timeout_s: float = 180.0) -> str:
        """Start the streaming job detached; returns its Flink job id once it runs."""
        if self.pid() is not None:
            raise JobError(f"the job already runs (pid {self.pid()}); `agentgauge jobs stop` first")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        # The configuration holds no credential (the connection's password is never
        # serialised); the runner gets it from the environment.
        self.config_file.write_text(config.model_dump_json(indent=2))
        self.config_file.chmod(0o600)
        env = {**JOB_ENVIRONMENT, **os.environ, "TZ": "UTC", **job_environment(self.settings)}
        # PyFlink's gateway starts the job's JVM with JVM_ARGS; the caller's own come last (the
        # JVM takes the last of a repeated option).
        env["JVM_ARGS"] = " ".join([*JOB_JVM_OPTIONS, os.environ.get("JVM_ARGS", "")]).strip()
        bin_dir = str(Path(sys.executable).parent)  # PyFlink's workers must find pyflink
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jobs.runner",
                    "--config",
                    str(self.config_file),
                    "--state-file",
                    str(self.state_file),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            exited = proc.poll() is not None
            state: dict[str, str] = {}
            with contextlib.suppress(OSError, ValueError):
                state = json.loads(self.state_file.read_text())
            if "error" in state:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=60)  # the runner exits right after writing it
                raise JobError(f"{state['error']} (details: {self.log_file})")
            if "job_id" in state:
                return str(state["job_id"])
            if exited:
                raise JobError(
                    f"the job exited during start (code {proc.returncode}); see {self.log_file}"
                )
            time.sleep(0.5)
        raise JobError(f"the job did not start within {timeout_s:.0f}s; see {self.log_file}")

    def stop(self, timeout_s: float = 90.0) -> bool:
        """Stop with a savepoint (SIGTERM to the runner); kill after the timeout."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        terminate(pid, timeout_s, kill_group=True)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """Hard kill (the whole process group: runner and its JVM), as a crash would."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)

    def started_config(self) -> JobConfig | None:
        """The configuration of the last start (its group, topics, checkpoint interval), with
        this process's connection (the file holds no password); None before any start."""
        try:
            config = JobConfig.model_validate_json(self.config_file.read_text())
        except (OSError, ValueError):
            return None
        return config.model_copy(update={"connection": self.settings.connection()})

    def status(self, config: JobConfig) -> JobStatus:
        pid = self.pid()
        state: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(self.state_file.read_text())
        points = [p for p in restore_points(config) if p.name.startswith("chk-")]
        latest = points[0] if points else None
        age = time.time() - (latest / "_metadata").stat().st_mtime if latest else None
        lag = alerts = dlq = None
        past: dict[int, tuple[int, int]] = {}
        conn = config.connection
        with contextlib.suppress(KafkaError):  # broker down: lag and counts unknown
            if conn.reachable():
                ends = true_end_offsets(conn, config.topic_events)
                done = committed_offsets(conn, config.group_id, config.topic_events)
                past = beyond_end(done, ends)
                lag = sum(max(0, end - done.get(p, 0)) for p, end in ends.items())
                alerts = sum(true_end_offsets(conn, config.topic_alerts).values())
                dlq = sum(true_end_offsets(conn, config.topic_dlq).values())
        running = pid is not None
        fresh = age is not None and age < 3 * config.checkpoint_interval_s + 30
        restarts: list[dict[str, str]] = list(state.get("restarts") or [])
        ten_minutes_ago = time.time() - 600
        recent = [
            r for r in restarts if datetime.fromisoformat(r["at"]).timestamp() > ten_minutes_ago
        ]
        looping = len(recent) >= max(config.restart_attempts, 1)
        problem = state.get("error") or (
            describe_beyond_end(config.topic_events, past) if past else None
        )
        return JobStatus(
            running=running,
            pid=pid,
            job_id=state.get("job_id"),
            state=state.get("status", "STOPPED") if running else "STOPPED",
            lag=lag,
            checkpoints=len(points),
            latest_checkpoint=str(latest) if latest else None,
            latest_checkpoint_age_s=age,
            alerts=alerts,
            dlq=dlq,
            healthy=running and fresh and lag is not None and not past and not looping,
            problem=problem
            or (
                f"{len(recent)} restarts in the last 10 minutes: a restart loop"
                if looping
                else None
            ),
            restarts_10m=len(recent),
            late_events=_count_lines(Path(config.late_location())),
            last_failure=restarts[-1] if restarts else None,
            cluster=state.get("cluster"),
            parallelism=state.get("parallelism"),
        )
