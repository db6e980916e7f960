"""Entry point for a Flink cluster: ``flink run --pyModule jobs.cluster_main --config job.json``
(infra/flink/submit.sh, the FlinkDeployment in infra/k8s, and `jobs start --cluster`).

The same ``build()`` as the local MiniCluster; only the configuration differs (bootstrap servers,
lake and checkpoint paths such as s3:// URIs). On a cluster ``execute()`` submits the job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobs.checkpoints import mark_layout
from jobs.config import JobConfig
from jobs.runner import prepare_streaming, submit

ENTRY_MODULE = "jobs.cluster_main"
JOB_ID_MARKER = "agentgauge job id: "


def flink_run_command(config_file: Path, rest_address: str, python: str) -> list[str]:
    """The command infra/flink/submit.sh runs, against the cluster at ``rest_address``, with
    ``--prepared``: the caller resolved the restore point and the replay guard already."""
    from jobs.standalone import flink_home

    return [
        str(flink_home() / "bin" / "flink"),
        "run",
        "--detached",
        "--pyModule",
        ENTRY_MODULE,
        "--pyExecutable",
        python,
        "--pyClientExecutable",
        python,
        "--jobmanager",
        rest_address,
        "--config",
        str(config_file),
        "--prepared",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description="agentgauge job for a Flink cluster")
    ap.add_argument("--config", type=Path, required=True, help="JobConfig as JSON")
    ap.add_argument(
        "--prepared",
        action="store_true",
        help="the config names its restore point and replay guard already (`jobs start --cluster`)",
    )
    args = ap.parse_args()
    config = JobConfig.model_validate_json(args.config.read_text())
    # The password of a SASL connection comes from the environment, never from the file.
    config = config.model_copy(update={"connection": config.connection.with_password_from_env()})
    result = submit(config if args.prepared else prepare_streaming(config))
    client = result.get_job_client()
    if client is not None:
        job_id = str(client.get_job_id())
        if config.checkpoint_uri is None:  # the same layout marker a local start writes
            mark_layout(config.checkpoint_dir / job_id)
        print(f"{JOB_ID_MARKER}{job_id}", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
