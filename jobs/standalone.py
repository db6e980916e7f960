"""A standalone Flink cluster from the installed distribution: one JobManager and N TaskManagers,
each its own JVM process, started with PyFlink's own ``bin/jobmanager.sh`` and
``bin/taskmanager.sh``, with its configuration, logs and pid files in one directory.

The same cluster a team runs on its own machines, only on one host: the job's tasks exchange
data over the network stack between processes, and a TaskManager can be lost (``kill -9``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.config import JOB_ENVIRONMENT, JOB_JVM_OPTIONS
from jobs.flink_rest import FlinkRest, FlinkRestError
from streams.errors import AgentgaugeError

STATE_FILE = "cluster.json"
# A TaskManager process that is gone fails its heartbeat RPCs at once (connection refused) and
# is dropped after heartbeat.rpc-failure-threshold (2) of them: within ~2 intervals. One that is
# alive but starved (GC, both cores busy with a bounded run) has the timeout: at 5 s, a bench
# run lost a live TaskManager that way. (Flink's defaults: 10 s and 50 s.)
HEARTBEAT_INTERVAL_MS = 2000
HEARTBEAT_TIMEOUT_MS = 30000


class ClusterError(AgentgaugeError):
    """The standalone cluster could not start, or is not running."""


def flink_home() -> Path:
    """The Flink distribution inside the installed PyFlink package (bin/, lib/, conf/)."""
    import pyflink

    return Path(pyflink.__file__).parent


def distribution_lib(target: Path) -> Path:
    """A lib directory for Flink's scripts (FLINK_LIB_DIR) holding what a Flink distribution's
    lib/ holds: flink-dist and the jars of its version, log4j, and the Kafka connector.
    PyFlink's lib/ also holds older single-module jars (flink-runtime.jar is 2.0.0) that the
    scripts' classpath, sorted by name with flink-dist last, would load first: a job then fails
    with NoSuchMethodError (InternalTimerService.initializeWatermark)."""
    source = flink_home() / "lib"
    dist = sorted(source.glob("flink-dist-*.jar"))
    if len(dist) != 1:
        raise ClusterError(f"expected one flink-dist jar in {source}, found {len(dist)}")
    version = dist[0].name.removeprefix("flink-dist-").removesuffix(".jar")
    wanted = [
        *source.glob(f"*-{version}.jar"),
        *source.glob("log4j-*.jar"),
        *source.glob("flink-connector-kafka*.jar"),
        *source.glob("kafka-clients*.jar"),
    ]
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.jar"):
        old.unlink()
    for jar in wanted:
        (target / jar.name).symlink_to(jar)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class ClusterState:
    """What `cluster up` started: where its REST endpoint is and how many TaskManagers it has."""

    rest_address: str
    taskmanagers: int
    slots_per_taskmanager: int
    taskmanager_memory: str


@dataclass(frozen=True)
class ClusterStatus:
    running: bool
    rest_address: str | None
    taskmanagers_wanted: int
    taskmanagers: int
    taskmanager_pids: list[int]
    slots_total: int
    slots_available: int
    jobs_running: int
    problem: str | None = None


class StandaloneCluster:
    """The cluster whose files live in ``directory`` (conf/, log/, run/, tmp/, cluster.json)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory.resolve()
        self.conf_dir = self.dir / "conf"
        self.log_dir = self.dir / "log"
        self.pid_dir = self.dir / "run"
        self.lib_dir = self.dir / "lib"

    # -- files ------------------------------------------------------------------------------
    def state(self) -> ClusterState | None:
        try:
            return ClusterState(**json.loads((self.dir / STATE_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def rest(self) -> FlinkRest:
        state = self.state()
        if state is None:
            raise ClusterError(f"no cluster in {self.dir}: `agentgauge cluster up` first")
        return FlinkRest(state.rest_address)

    def _env(self) -> dict[str, str]:
        return {
            **JOB_ENVIRONMENT,
            **os.environ,
            "FLINK_CONF_DIR": str(self.conf_dir),
            "FLINK_LOG_DIR": str(self.log_dir),
            "FLINK_PID_DIR": str(self.pid_dir),
            "FLINK_LIB_DIR": str(self.lib_dir),
        }

    def _write_conf(self, state: ClusterState, rpc_port: int) -> None:
        home = flink_home()
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        for name in ("log4j.properties", "log4j-console.properties", "log4j-cli.properties"):
            shutil.copy(home / "conf" / name, self.conf_dir / name)
        packaged = yaml.safe_load((home / "conf" / "config.yaml").read_text()) or {}
        host, _, rest_port = state.rest_address.partition(":")
        conf = {
            **_flatten(packaged),
            "jobmanager.rpc.address": host,
            "jobmanager.rpc.port": rpc_port,
            "jobmanager.bind-host": host,
            "jobmanager.memory.process.size": "1024m",
            "taskmanager.bind-host": host,
            "taskmanager.host": host,
            "taskmanager.numberOfTaskSlots": state.slots_per_taskmanager,
            "taskmanager.memory.process.size": state.taskmanager_memory,
            "env.java.opts.taskmanager": " ".join(JOB_JVM_OPTIONS),
            "rest.address": host,
            "rest.bind-address": host,
            "rest.port": int(rest_port),
            "heartbeat.interval": HEARTBEAT_INTERVAL_MS,
            "heartbeat.timeout": HEARTBEAT_TIMEOUT_MS,
            "env.log.dir": str(self.log_dir),
            "env.pid.dir": str(self.pid_dir),
            "io.tmp.dirs": str(self.dir / "tmp"),
            "web.tmpdir": str(self.dir / "tmp"),
        }
        (self.conf_dir / "config.yaml").write_text(yaml.safe_dump(conf, sort_keys=True))
        (self.conf_dir / "masters").write_text(f"{host}:{rest_port}\n")
        (self.conf_dir / "workers").write_text(f"{host}\n" * state.taskmanagers)

    def _script(self, name: str, *args: str) -> None:
        done = subprocess.run(
            ["bash", str(flink_home() / "bin" / name), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(
                f"{name} {' '.join(args)} failed: {(done.stderr or done.stdout)[-800:]}"
            )

    def _pids(self, role: str) -> list[int]:
        """Live pids of ``standalonesession`` (the JobManager) or ``taskexecutor`` processes, from
        the pid files the daemon scripts write (one line per instance)."""
        pids: list[int] = []
        for pid_file in self.pid_dir.glob(f"flink-*-{role}.pid"):
            for line in pid_file.read_text().split():
                with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                    pid = int(line)
                    os.kill(pid, 0)
                    pids.append(pid)
        return pids

    def jobmanager_pids(self) -> list[int]:
        return self._pids("standalonesession")

    def taskmanager_pids(self) -> list[int]:
        return self._pids("taskexecutor")

    # -- lifecycle --------------------------------------------------------------------------
    def up(
        self,
        taskmanagers: int = 2,
        slots_per_taskmanager: int = 2,
        taskmanager_memory: str = "1536m",
        timeout_s: float = 120.0,
    ) -> ClusterState:
        """Start the JobManager and the TaskManagers that are not running yet (``up`` again
        after a TaskManager was lost starts a new one); returns once all are registered."""
        state = self.state()
        if state is None or not self.jobmanager_pids():
            if self.jobmanager_pids():
                raise ClusterError(f"a JobManager of {self.dir} runs without its {STATE_FILE}")
            for stale in self.pid_dir.glob("flink-*.pid"):
                stale.unlink()
            state = ClusterState(
                rest_address=f"localhost:{_free_port()}",
                taskmanagers=taskmanagers,
                slots_per_taskmanager=slots_per_taskmanager,
                taskmanager_memory=taskmanager_memory,
            )
            for d in (self.log_dir, self.pid_dir, self.dir / "tmp"):
                d.mkdir(parents=True, exist_ok=True)
            self._write_conf(state, _free_port())
            distribution_lib(self.lib_dir)
            (self.dir / STATE_FILE).write_text(json.dumps(asdict(state), indent=2))
            self._script("jobmanager.sh", "start")
        elif state.taskmanagers != taskmanagers:
            state = ClusterState(**{**asdict(state), "taskmanagers": taskmanagers})
            (self.dir / STATE_FILE).write_text(json.dumps(asdict(state), indent=2))
        for _ in range(state.taskmanagers - len(self.taskmanager_pids())):
            self._script("taskmanager.sh", "start")
        rest = FlinkRest(state.rest_address)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                with contextlib.suppress(FlinkRestError):
                    if rest.overview().get("taskmanagers", 0) >= state.taskmanagers:
                        return state
                if time.monotonic() > deadline:
                    raise ClusterError(
                        f"the cluster did not register {state.taskmanagers} TaskManagers within"
                        f" {timeout_s:.0f} s; see {self.log_dir}"
                    )
                time.sleep(0.5)  # polling the JobManager
        finally:
            rest.close()

    def down(self, timeout_s: float = 60.0) -> bool:
        """Stop every process of the cluster (SIGTERM, then SIGKILL after ``timeout_s``)."""
        pids = self.taskmanager_pids() + self.jobmanager_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.2)  # waiting for the JVMs to exit
        for pid in pids:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for pid_file in self.pid_dir.glob("flink-*.pid"):
            pid_file.unlink()
        (self.dir / STATE_FILE).unlink(missing_ok=True)
        return bool(pids)

    def status(self) -> ClusterStatus:
        state = self.state()
        tms = self.taskmanager_pids()
        if state is None or not self.jobmanager_pids():
            return ClusterStatus(False, None, 0, 0, tms, 0, 0, 0, "no cluster is running")
        rest = FlinkRest(state.rest_address)
        try:
            view = rest.overview()
        except FlinkRestError as exc:
            return ClusterStatus(
                False, state.rest_address, state.taskmanagers, 0, tms, 0, 0, 0, str(exc)
            )
        finally:
            rest.close()
        registered = int(view.get("taskmanagers", 0))
        problem = None
        if registered < state.taskmanagers:
            problem = (
                f"{registered} of {state.taskmanagers} TaskManagers registered:"
                " `agentgauge cluster up` starts the missing ones"
            )
        return ClusterStatus(
            running=True,
            rest_address=state.rest_address,
            taskmanagers_wanted=state.taskmanagers,
            taskmanagers=registered,
            taskmanager_pids=tms,
            slots_total=int(view.get("slots-total", 0)),
            slots_available=int(view.get("slots-available", 0)),
            jobs_running=int(view.get("jobs-running", 0)),
            problem=problem,
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True
