"""Entry point for a Flink cluster: ``flink run -py jobs/cluster_main.py --config job.json``.

The same ``build()`` as the local MiniCluster; only the configuration differs (bootstrap servers,
lake and checkpoint paths such as s3:// URIs). On a cluster ``execute()`` submits the job.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jobs.config import JobConfig
from jobs.runner import prepare_streaming, submit


def main() -> None:
    ap = argparse.ArgumentParser(description="agentgauge job for a Flink cluster")
    ap.add_argument("--config", type=Path, required=True, help="JobConfig as JSON")
    args = ap.parse_args()
    config = JobConfig.model_validate_json(args.config.read_text())
    # The password of a SASL connection comes from the environment, never from the file.
    config = config.model_copy(update={"connection": config.connection.with_password_from_env()})
    submit(prepare_streaming(config))


if __name__ == "__main__":
    main()
