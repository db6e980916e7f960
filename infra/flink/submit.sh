#!/usr/bin/env bash
# Submit the agentgauge job to a running Flink 2.0 session cluster (standalone or YARN).
# Prerequisites on the cluster: Python 3.11 with `pip install apache-flink==2.0.2 agentgauge`,
# and the Kafka connector jars in $FLINK_HOME/lib (or pass them with --jarfile):
#   flink-connector-kafka-4.0.1-2.0.jar, kafka-clients-3.9.1.jar
# (the same versions the local MiniCluster gets from shigawire-apache-flink-libraries).
# The job's JVM functions (jvm/src) are compiled on this machine with javac (JDK 17) and shipped
# with the job; or set "udf_jar" in the job config to a prebuilt jar.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=${1:?usage: submit.sh JOB_CONFIG.json [flink run options...]}
shift
rm -f /tmp/agentgauge-src.zip
(cd "$REPO" && zip -qr /tmp/agentgauge-src.zip jobs streams sql config)
exec flink run \
  --detached \
  --python "$REPO/jobs/cluster_main.py" \
  --pyFiles /tmp/agentgauge-src.zip \
  --pyExecutable "${PYFLINK_PYTHON:-python3.11}" \
  "$@" \
  --config "$CONFIG"
