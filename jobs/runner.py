"""Run the job in a local MiniCluster: bounded (to the topic's current end) or streaming."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn
from urllib.parse import urlparse

from kafka.errors import KafkaError
from py4j.protocol import Py4JJavaError
from pyflink.table import EnvironmentSettings, TableEnvironment, TableResult
from pyflink.util.exceptions import JavaException

from jobs.checkpoints import (
    StateLayoutError,
    check_layout,
    does_not_fit,
    latest_restore_point,
    mark_fresh_start,
    mark_layout,
)
from jobs.config import JobConfig
from jobs.pipeline import build
from jobs.plan import execute
from jobs.positions import (
    beyond_end,
    committed_offsets,
    describe_beyond_end,
    positions_beyond_end,
    reset_to_start,
)
from jobs.replay_guard import (
    alert_ids_since,
    dead_letter_filter,
    dead_letter_keys_since,
    guard_since,
    replay_filter,
)
from jobs.running import ClusterSubmitError, LocalRun, Running, start_on_cluster
from streams.offsets import bounded_offsets_option, true_end_offsets

log = logging.getLogger(__name__)
_EPOCH = datetime.fromtimestamp(0, UTC)


def submit(config: JobConfig) -> TableResult:
    """Build and submit the job; returns at once with the running job's TableResult."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    return execute(t_env, build(t_env, config), config)


def run_bounded(config: JobConfig) -> None:
    """Process the whole topic up to its current end, flush windows, then return.

    A bounded run starts from the earliest offset with a fresh rule state, so every alert it
    finds is re-derived; ids already on the alerts topic are filtered, so none is sent twice.
    """
    conn = config.connection
    ends = bounded_offsets_option(true_end_offsets(conn, config.topic_events))
    known = alert_ids_since(conn, config.topic_alerts, _EPOCH)
    letters = dead_letter_keys_since(conn, config.topic_dlq, _EPOCH)
    bounded = config.model_copy(
        update={
            "bounded": True,
            "bounded_offsets": ends,
            "replay_filter": replay_filter(known),
            "dlq_filter": dead_letter_filter(letters),
            "restore_from": None,
        }
    )
    submit(bounded).wait()


def prepare_streaming(config: JobConfig) -> JobConfig:
    """Resume from the newest checkpoint or savepoint, guarding against replayed alerts.

    A start with nothing to resume from (the first, a ``--fresh`` one, a restart after a
    failure, or one after a kill before the first checkpoint completed) reads the topic from
    its committed offsets, or its start, with empty rule state: it may derive again alerts
    already written, so it guards every alert already on the topic (alert ids are
    deterministic: one already there is the same alert)."""
    point: Path | None = None
    if not config.resume:
        mark_fresh_start(config)
        conn = config.connection
        with _best_effort("the committed offsets"):
            if positions_beyond_end(conn, config.group_id, config.topic_events):
                log.warning("%s was recreated: reading it from its start", config.topic_events)
                reset_to_start(conn, config.group_id, config.topic_events)
    else:
        point = config.restore_from or latest_restore_point(config)
    conn = config.connection
    if point is None:
        known = alert_ids_since(conn, config.topic_alerts, _EPOCH)
        # It reads from the committed offsets: only dead letters of records from there on can
        # be written again.
        committed: dict[int, int] = {}
        with _best_effort("the committed offsets"):
            committed = committed_offsets(conn, config.group_id, config.topic_events)
        letters = dead_letter_keys_since(conn, config.topic_dlq, _EPOCH, committed)
        return config.model_copy(
            update={
                "restore_from": None,
                "replay_filter": replay_filter(known),
                "dlq_filter": dead_letter_filter(letters),
            }
        )
    check_layout(point)
    since = guard_since((point / "_metadata").stat().st_mtime)
    known = alert_ids_since(conn, config.topic_alerts, since)
    letters = dead_letter_keys_since(conn, config.topic_dlq, since)
    return config.model_copy(
        update={
            "restore_from": point,
            "replay_filter": replay_filter(known),
            "dlq_filter": dead_letter_filter(letters),
        }
    )


def run_streaming(config: JobConfig, state_file: Path) -> None:
    """Run until SIGTERM/SIGINT, then stop with a savepoint so the next start resumes exactly.

    A job that fails is restarted here, not by Flink (whose restart strategy is off): from its
    newest checkpoint, with the replay guard read anew from the alerts topic, so a failover
    never writes an alert id twice. At most ``restart_attempts`` restarts within
    ``restart_window_s``, ``restart_delay_s`` apart; then the job stays FAILED. Every restart
    and the last failure (exception, message, the function or operator it came from) are in the
    state file that `jobs status` reads.
    """
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    first_start = time.time()
    restarts: list[dict[str, Any]] = []
    attempt = config
    while True:
        run, state = _start(attempt, state_file, first_start if restarts else None)
        state["restarts"] = restarts
        _write_state(state_file, state)
        while not stopping and not run.ended():
            time.sleep(0.5)
        if stopping:
            break
        failure, status = run.outcome()
        failure = {"at": datetime.now(UTC).isoformat(), "status": status, **failure}
        restarts.append(failure)
        window = time.time() - config.restart_window_s
        recent = [r for r in restarts if datetime.fromisoformat(r["at"]).timestamp() > window]
        if status != "FAILED" or len(recent) > config.restart_attempts:
            why = (
                f"the job failed {len(recent)} times in {config.restart_window_s:.0f} s"
                f" (restart_attempts {config.restart_attempts}); last: {failure['exception']}:"
                f" {failure['message']}"
            )
            _write_state(
                state_file, {**state, "status": status, "restarts": restarts[-50:], "error": why}
            )
            log.error(why)
            sys.exit(1)
        _write_state(state_file, {**state, "status": "RESTARTING", "restarts": restarts[-50:]})
        log.error("job failed (%s: %s); restarting", failure["exception"], failure["message"])
        deadline = time.monotonic() + config.restart_delay_s
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
        if stopping:
            _write_state(state_file, {**state, "status": "STOPPED"})
            return
        # From the newest checkpoint of this job (a --fresh start's own, too).
        attempt = config.model_copy(update={"resume": True, "restore_from": None})
    try:
        path = run.stop_with_savepoint(config.savepoint_location())
        mark_layout(Path(urlparse(path).path))
        log.warning("stopped with savepoint %s", path)
    except Exception as exc:  # the retained checkpoints remain to resume from
        log.error("stop with savepoint failed (%s); cancelling", exc)
        run.cancel()
    _write_state(state_file, {**state, "status": "STOPPED"})


def _start(
    config: JobConfig, state_file: Path, restarting_since: float | None
) -> tuple[Running, dict[str, Any]]:
    """Submit the job (resuming and guarding as configured), in this process's MiniCluster or
    to ``config.cluster``; exit with the error in the state file when it cannot start.
    ``restarting_since``: on a restart, when the runner first started (a restart does not check
    the resumed read positions again)."""
    run: Running
    try:
        config = prepare_streaming(config)
        before: dict[int, int] | None = None
        if config.restore_from is not None:
            with _best_effort("the committed offsets"):
                before = committed_offsets(config.connection, config.group_id, config.topic_events)
        if config.cluster is not None:
            run = start_on_cluster(config, state_file.parent, restarting_since is not None)
        else:
            client = submit(config).get_job_client()
            assert client is not None
            run = LocalRun(client, config.parallelism)
    except (StateLayoutError, ClusterSubmitError) as exc:
        _fail(state_file, str(exc))
    except (JavaException, Py4JJavaError) as exc:
        # Submitting onto saved state fails when Flink cannot map it onto this version's
        # operators (a graph change without a state-layout bump); Flink raises no type of its
        # own for that, so any refusal of a restore is reported with the way out.
        if config.restore_from is None:
            raise
        cause = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        _fail(state_file, does_not_fit(config.restore_from, f"Flink refused it: {cause}"))
    if config.checkpoint_uri is None:
        mark_layout(config.checkpoint_dir / run.job_id)
    if before is not None and restarting_since is None:
        past: dict[int, tuple[int, int]] = {}
        with _best_effort("the resumed read positions"):
            past = resumed_beyond_end(config, before)
        if past:
            run.cancel()
            _fail(state_file, describe_beyond_end(config.topic_events, past))
    state = {
        "job_id": run.job_id,
        "restored_from": str(config.restore_from or ""),
        "status": "RUNNING",
        "started_at": datetime.now(UTC).isoformat(),
        "cluster": config.cluster,
        "parallelism": run.parallelism,
    }
    return run, state


def resumed_beyond_end(config: JobConfig, before: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Whether a resumed job's read positions lie beyond the topic's end. ``before``: the group's
    committed offsets before the start. None there (the broker lost them with the topic, or they
    expired) means waiting for the job's first commit, made on a checkpoint; it is then compared
    (empty if none comes in time: `jobs status` keeps watching)."""
    conn = config.connection
    committed = before
    deadline = time.monotonic() + 3 * config.checkpoint_interval_s + 30
    while not committed and time.monotonic() < deadline:
        time.sleep(0.5)
        committed = committed_offsets(conn, config.group_id, config.topic_events)
    return beyond_end(committed, true_end_offsets(conn, config.topic_events))


@contextlib.contextmanager
def _best_effort(what: str) -> Iterator[None]:
    """A check the job can start without: on a broker it cannot reach, it is skipped with a
    warning, and `jobs status` reports what it would have."""
    try:
        yield
    except KafkaError as exc:
        log.warning("could not check %s (%s)", what, exc)


def _write_state(state_file: Path, state: dict[str, Any]) -> None:
    """Replace the state file at once: `jobs status` and `jobs start` read it at any time."""
    part = state_file.with_name(state_file.name + ".part")
    part.write_text(json.dumps(state))
    part.replace(state_file)


def _fail(state_file: Path, error: str) -> NoReturn:
    _write_state(state_file, {"status": "FAILED", "error": error})
    log.error(error)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description="agentgauge Flink job runner (streaming)")
    ap.add_argument("--config", type=Path, required=True, help="JobConfig as JSON")
    ap.add_argument("--state-file", type=Path, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = JobConfig.model_validate_json(args.config.read_text())
    # The configuration file holds no credential: the password comes from the environment.
    config = config.model_copy(update={"connection": config.connection.with_password_from_env()})
    run_streaming(config, args.state_file)


if __name__ == "__main__":
    main()
