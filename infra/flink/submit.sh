#!/usr/bin/env bash
# Submit the agentgauge job to a running Flink 2.0 session cluster (standalone or YARN).
# Prerequisites on the cluster: Python 3.11 with `pip install 'agentgauge[pipeline]'` (the job's
# SQL, config defaults and JVM sources are package resources), and the Kafka connector jars in
# $FLINK_HOME/lib (or pass them with --jarfile):
#   flink-connector-kafka-4.0.1-2.0.jar, kafka-clients-3.9.1.jar
# (the same versions the local MiniCluster gets from shigawire-apache-flink-libraries).
# The job's JVM functions (jobs/jvm) are compiled on this machine with javac (JDK 17) and
# shipped with the job; or set "udf_jar" in the job config to a prebuilt jar.
# Secrets are never in the job config: export AGENTGAUGE_SASL_PASSWORD and
# AGENTGAUGE_PSEUDONYM_KEY (the SDK's pseudonym_key) in the TaskManagers' environment.
set -euo pipefail
CONFIG=${1:?usage: submit.sh JOB_CONFIG.json [flink run options...]}
shift
exec flink run \
  --detached \
  --pyModule jobs.cluster_main \
  --pyExecutable "${PYFLINK_PYTHON:-python3.11}" \
  "$@" \
  --config "$CONFIG"
