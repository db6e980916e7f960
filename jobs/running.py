"""A started job, wherever it runs: in this process's MiniCluster or on a Flink cluster.

The runner (jobs/runner.py) supervises either the same way: it waits for the job to end, reads
why it failed, restarts it from its newest checkpoint with the replay guard, and stops it with
a savepoint.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from py4j.protocol import Py4JJavaError
from pyflink.common import JobClient
from pyflink.java_gateway import get_gateway
from pyflink.util.exceptions import JavaException
from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

from jobs.config import JobConfig
from jobs.flink_rest import TERMINAL, FlinkRest, FlinkRestError
from jobs.pipeline import pipeline_name
from streams.errors import AgentgaugeError
from streams.packaged import config_file

log = logging.getLogger(__name__)
# The JobManager not answering for this long ends the job as far as the runner can tell.
_UNREACHABLE_S = 30.0


class ClusterSubmitError(AgentgaugeError):
    """The job could not be submitted to the Flink cluster."""


class Running(Protocol):
    job_id: str
    parallelism: int

    def ended(self) -> bool: ...

    def outcome(self) -> tuple[dict[str, str], str]:
        """(the failure: exception, message, operator; the final status)."""
        ...

    def stop_with_savepoint(self, directory: str) -> str: ...

    def cancel(self) -> None: ...


class LocalRun:
    """The job in this process's MiniCluster."""

    def __init__(self, client: JobClient, parallelism: int) -> None:
        self._client = client
        self.job_id = str(client.get_job_id())
        self.parallelism = parallelism
        # Taken while the job runs: it completes (exceptionally, on a failure) when the job
        # ends, even though the job's MiniCluster shuts down then and answers nothing more.
        self._result = client.get_job_execution_result()

    def ended(self) -> bool:
        return bool(self._result.done())

    def outcome(self) -> tuple[dict[str, str], str]:
        return failure_of(self._result)

    def stop_with_savepoint(self, directory: str) -> str:
        return stop_with_savepoint(self._client, directory)

    def cancel(self) -> None:
        self._client.cancel().result()


class ClusterRun:
    """The job on a Flink cluster, watched through its REST API."""

    def __init__(self, rest: FlinkRest, job_id: str, parallelism: int) -> None:
        self._rest = rest
        self.job_id = job_id
        self.parallelism = parallelism
        self._state = "RUNNING"
        self._unreachable_since: float | None = None

    def ended(self) -> bool:
        try:
            self._state = self._rest.state(self.job_id)
            self._unreachable_since = None
        except FlinkRestError as exc:
            now = time.monotonic()
            self._unreachable_since = self._unreachable_since or now
            if now - self._unreachable_since > _UNREACHABLE_S:
                log.error("the cluster does not answer (%s)", exc)
                self._state = "UNREACHABLE"
                return True
        return self._state in TERMINAL

    def outcome(self) -> tuple[dict[str, str], str]:
        if self._state == "FINISHED":
            return {"exception": "unknown", "message": "", "operator": "unknown"}, "FINISHED"
        if self._state == "UNREACHABLE":
            return {
                "exception": "FlinkRestError",
                "message": f"the cluster's JobManager at {self._rest.address} stopped answering",
                "operator": "unknown",
            }, "FAILED"
        found = {"exception": "unknown", "message": "", "operator": "unknown"}
        with contextlib.suppress(FlinkRestError):
            found = self._rest.root_exception(self.job_id)
        found["message"] = redact(found["message"])[:500]
        return found, self._state

    def stop_with_savepoint(self, directory: str) -> str:
        return self._rest.stop_with_savepoint(self.job_id, directory)

    def cancel(self) -> None:
        self._rest.cancel(self.job_id)


def failure_of(ended: Any) -> tuple[dict[str, str], str]:
    """What made the job end (its status, FINISHED or FAILED) and, for a failure, the root
    exception's class and message (redacted: a message can quote data) and the function or
    operator method it was thrown in."""
    found = {"exception": "unknown", "message": "", "operator": "unknown"}
    try:
        ended.result()
        return found, "FINISHED"
    except Py4JJavaError as exc:
        root = exc.java_exception
        while root.getCause() is not None and root.getCause() != root:
            root = root.getCause()
        frames = [f.getClassName() + "." + f.getMethodName() for f in root.getStackTrace()]
        ours = [f for f in frames if f.startswith("io.agentgauge.flink.")]
        flinks = [f for f in frames if f.startswith("org.apache.flink.")]
        found["exception"] = str(root.getClass().getName())
        found["message"] = redact(str(root.getMessage() or ""))[:500]
        found["operator"] = (ours or flinks or frames or ["unknown"])[0]
    except JavaException as exc:
        found["message"] = redact(str(exc).strip().splitlines()[0])[:500]
    return found, "FAILED"


def redact(text: str) -> str:
    """Exception text through the redaction rules: it goes to the state file and the log."""
    from streams.redaction import Redactor  # only on a failure

    return Redactor.from_file(config_file("redaction.yaml")).text(text)


def _tasks_not_running(exc: BaseException) -> bool:
    """Whether Flink refused a savepoint because some tasks are not running yet: a
    ``CheckpointException`` with reason ``NOT_ALL_REQUIRED_TASKS_RUNNING`` in the cause chain."""
    if not isinstance(exc, Py4JJavaError):
        return False
    jvm = get_gateway().jvm
    wanted = jvm.java.lang.Class.forName("org.apache.flink.runtime.checkpoint.CheckpointException")
    reason = jvm.org.apache.flink.runtime.checkpoint.CheckpointFailureReason
    cause = exc.java_exception
    while cause is not None:
        if wanted.isInstance(cause):
            return bool(cause.getCheckpointFailureReason() == reason.NOT_ALL_REQUIRED_TASKS_RUNNING)
        cause = cause.getCause()
    return False


# Right after a start (or while Flink restarts a failed task) some tasks are still deploying and
# Flink refuses the savepoint; a stop then waits for them instead of falling back to a cancel.
@retry(
    retry=retry_if_exception(_tasks_not_running),
    stop=stop_after_delay(60),  # below `jobs stop`'s 90 s before it kills the runner
    wait=wait_fixed(1),
    reraise=True,
)
def stop_with_savepoint(client: JobClient, directory: str) -> str:
    """PyFlink 2.0's JobClient.stop_with_savepoint calls a Java overload that no longer exists
    (it lacks the SavepointFormatType argument), so call the Java client directly."""
    fmt = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
    return str(client._j_job_client.stopWithSavepoint(False, directory, fmt).get())


def _cancel_predecessors(rest: FlinkRest, config: JobConfig, timeout_s: float = 60.0) -> None:
    """A job of this consumer group still running on the cluster (its runner was killed) is
    cancelled: the new one resumes from its checkpoints, guarded, and two would write twice."""
    name = pipeline_name(config)
    running = [j["jid"] for j in rest.jobs() if j["name"] == name and j["state"] not in TERMINAL]
    for jid in running:
        log.warning("cancelling %s, a job of %s still on the cluster", jid, config.group_id)
        rest.cancel(jid)
    deadline = time.monotonic() + timeout_s
    while running and time.monotonic() < deadline:
        running = [j for j in running if rest.state(j) not in TERMINAL]
        time.sleep(0.5)  # polling the cancellations
    if running:
        raise ClusterSubmitError(f"jobs {running} of {config.group_id} did not cancel")


def _parallelism(rest: FlinkRest, config: JobConfig, restarting: bool) -> int:
    """The configured parallelism, if the cluster has the slots. A restart after a lost
    TaskManager runs on the slots left (keyed state is redistributed from the checkpoint); a
    first start with too few slots is an error."""
    free = int(rest.overview().get("slots-available", 0))
    if free >= config.parallelism:
        return config.parallelism
    if restarting and free > 0:
        log.warning(
            "%d free slots of %d wanted: restarting at parallelism %d",
            free,
            config.parallelism,
            free,
        )
        return free
    raise ClusterSubmitError(
        f"the cluster at {config.cluster} has {free} free task slots, parallelism"
        f" {config.parallelism} needs {config.parallelism}: `agentgauge cluster up"
        " --taskmanagers N` or a lower --parallelism"
    )


def start_on_cluster(config: JobConfig, work_dir: Path, restarting: bool) -> ClusterRun:
    """Submit the prepared job (restore point and replay guard resolved) to ``config.cluster``
    through ``flink run`` and the job's Python entry point, as infra/flink/submit.sh does."""
    from jobs.cluster_main import JOB_ID_MARKER, flink_run_command

    assert config.cluster is not None
    rest = FlinkRest(config.cluster)
    if not rest.reachable():
        raise ClusterSubmitError(
            f"no Flink cluster answers at {config.cluster}: `agentgauge cluster up` first"
        )
    _cancel_predecessors(rest, config)
    parallelism = _parallelism(rest, config, restarting)
    submitted = config.model_copy(update={"parallelism": parallelism})
    work_dir.mkdir(parents=True, exist_ok=True)
    config_file = work_dir / "job-submitted.json"
    config_file.write_text(submitted.model_dump_json(indent=2))
    config_file.chmod(0o600)
    from jobs.standalone import distribution_lib

    env = {
        **os.environ,
        "FLINK_LOG_DIR": str(work_dir / "flink-client-log"),
        "FLINK_LIB_DIR": str(distribution_lib(work_dir / "flink-lib")),
    }
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    cmd = flink_run_command(config_file, config.cluster, sys.executable)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    ids = [
        line.split(JOB_ID_MARKER, 1)[1].strip()
        for line in done.stdout.splitlines()
        if JOB_ID_MARKER in line
    ]
    if done.returncode != 0 or not ids:
        tail = redact((done.stderr or "") + (done.stdout or ""))[-1500:]
        raise ClusterSubmitError(f"flink run exited {done.returncode}: {tail}")
    return ClusterRun(rest, ids[-1], parallelism)
