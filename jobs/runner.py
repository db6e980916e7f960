"""Run the job in a local MiniCluster: bounded (to the topic's current end) or streaming."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from pyflink.table import EnvironmentSettings, TableEnvironment, TableResult

from jobs.checkpoints import latest_restore_point
from jobs.config import JobConfig
from jobs.pipeline import build
from streams.offsets import bounded_offsets_option, true_end_offsets
from streams.settings import Settings

log = logging.getLogger(__name__)


def submit(config: JobConfig) -> TableResult:
    """Build and submit the job; returns at once with the running job's TableResult."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    return build(t_env, config).execute()


def run_bounded(config: JobConfig) -> None:
    """Process everything in the topic up to its current end, flush windows, then return."""
    settings = Settings(
        bootstrap_servers=config.bootstrap_servers, topic_events=config.topic_events
    )
    ends = bounded_offsets_option(true_end_offsets(settings, config.topic_events))
    submit(config.model_copy(update={"bounded": True, "bounded_offsets": ends})).wait()


def run_streaming(config: JobConfig, state_file: Path) -> None:
    """Run until SIGTERM/SIGINT, then stop with a savepoint so the next start resumes exactly."""
    if config.restore_from is None:
        config = config.model_copy(update={"restore_from": latest_restore_point(config)})
    result = submit(config)
    client = result.get_job_client()
    assert client is not None
    job_id = str(client.get_job_id())
    state_file.write_text(
        json.dumps({"job_id": job_id, "restored_from": str(config.restore_from or "")})
    )
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping:
        status = str(client.get_job_status().result())
        if status in ("FAILED", "CANCELED", "FINISHED"):
            log.error("job ended with status %s", status)
            sys.exit(1)
        time.sleep(0.5)
    savepoints = config.checkpoint_dir.parent / "savepoints"
    try:
        path = client.stop_with_savepoint(False, savepoints.resolve().as_uri()).result()
        log.warning("stopped with savepoint %s", path)
    except Exception as exc:  # the retained checkpoints remain to resume from
        log.error("stop with savepoint failed (%s); cancelling", exc)
        client.cancel().result()


def main() -> None:
    ap = argparse.ArgumentParser(description="agentgauge Flink job runner")
    ap.add_argument("--config", type=Path, required=True, help="JobConfig as JSON")
    ap.add_argument("--state-file", type=Path, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = JobConfig.model_validate_json(args.config.read_text())
    run_streaming(config, args.state_file)


if __name__ == "__main__":
    main()
