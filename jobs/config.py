"""The runtime configuration of one run of the job (the rules' thresholds: streams.ceilings).

The application fills it from its settings (``agentgauge.wiring.job_config``); on a cluster it
is a JSON file (``infra/flink/job.example.json``). It never holds a credential: the Kafka
password reaches the job's processes through the environment (streams/kafka.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from streams.ceilings import Ceilings
from streams.kafka import Connection
from streams.packaged import config_file

# The options of every JVM that runs the job's tasks: the local job's (JVM_ARGS of the runner,
# agentgauge/local/job.py), a standalone cluster's TaskManagers and the Kubernetes manifest's
# (env.java.opts.taskmanager). Measured in the R5 soak (docs/faults.md):
# - C2 alone: with tiered compilation, C1 kept compiling (with profiling) the paths that run once
#   per checkpoint or timer for the first ~6 minutes, and the code cache grew +0.97 MB/min after
#   warm-up; with C2 alone, those stay interpreted. Same steady rate (34.8k against 33.1k
#   events/s); `jobs start` takes ~6 s longer (21.5 against 15.5 s).
# - Trimming the native heap every 10 s gives back to the OS what glibc keeps of the compilers'
#   and RocksDB's freed memory (a step of +6 MB over two minutes, held, in one run without it).
JOB_JVM_OPTIONS = ("-XX:-TieredCompilation", "-XX:TrimNativeHeapInterval=10000")
# The environment of those JVMs (the caller's own values win): glibc's malloc at two arenas
# rather than eight per core. With eight, each thread that allocates natively (the compilers,
# RocksDB, the Kafka clients' compression) may take an arena of its own, and each arena keeps
# its high-water mark: the heap backend's RSS stepped up ~4 MB twice in six minutes and held.
# With two, the soak's RSS slope was -0.48 and +0.07 MB/min (heap backend). Flink's Kubernetes
# image preloads jemalloc instead, which this does not affect (preloaded here, jemalloc gave no
# lower slope and 45-60 MB more RSS: docs/faults.md R5).
JOB_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


class JobConfig(BaseModel):
    """Everything one run of the job needs."""

    connection: Connection
    # Further Java client properties for the job's Kafka source and sinks (no secrets).
    kafka_properties: dict[str, str] = Field(default_factory=dict)
    topic_events: str
    topic_alerts: str
    topic_dlq: str
    topic_controls: str
    group_id: str = "agentgauge-job"
    lake_path: Path
    checkpoint_dir: Path
    # On a cluster: URIs (s3://..., hdfs://...) that replace the two local paths above.
    lake_uri: str | None = None
    checkpoint_uri: str | None = None
    checkpoint_interval_s: float = Field(default=5.0, gt=0)
    # State sized to its purpose (docs/alerts.md#state). A run's event ids are remembered at
    # least dedup_horizon_s after arrival (a re-sent event later than that lands twice); a run's
    # state (ids, totals, budgets) expires run_idle_s after its last event, run_finished
    # included: a run silent for longer starts its totals afresh (the SDK's budgets still hold).
    # Every other keyed state (customer-hours, workflow baselines) expires state_ttl_hours after
    # its last update, which must cover the windowed rules' baseline_hours (None: one hour more).
    dedup_horizon_s: float = Field(default=3600.0, gt=0)
    run_idle_s: float = Field(default=3600.0, gt=0)
    state_ttl_hours: float | None = Field(default=None, gt=0)
    # hashmap: state on the JVM heap (fastest); rocksdb: on local disk, for state larger than
    # memory (incremental checkpoints).
    state_backend: Literal["hashmap", "rocksdb"] = "hashmap"
    # RocksDB's native memory (memtables and block cache) per task slot, a fixed budget, at most
    # 64 GiB (the R5 soak's RSS slope after warm-up, read without a trim, MB/min: +0.66 to +1.35
    # in four runs at 8 MB; +2.04 at 4, +1.44 at 16, +2.62 at a MiniCluster's 128 MB of managed
    # memory, still filling at 6 min; docs/faults.md R5 has the later figures). None: the slot's
    # share of Flink's managed memory, which a cluster's TaskManager sizes.
    rocksdb_memory_per_slot_mb: int | None = Field(default=8, ge=1, le=65536)
    watermark_delay_s: int = Field(default=10, ge=0)
    # An event whose ts is further ahead of the job's clock is dead-lettered (ts_in_future) and
    # does not move the watermark.
    ts_max_skew_s: int = Field(default=300, ge=0)
    idle_timeout_s: int = Field(default=30, ge=0, description="0 = no idleness (bounded runs)")
    parallelism: int = Field(default=2, ge=1)
    # The REST address (host:port) of a Flink session cluster to run on (`jobs start --cluster`,
    # jobs/cluster_main.py); None: a MiniCluster in the runner's own process.
    cluster: str | None = None
    # Failover restarts of a streaming job (by the runner, from the newest checkpoint, with the
    # replay guard): at most this many within restart_window_s, restart_delay_s apart; then the
    # job fails and `jobs status` says why. A bounded run never restarts: it fails.
    restart_attempts: int = Field(default=3, ge=0)
    restart_delay_s: float = Field(default=10.0, ge=0)
    restart_window_s: float = Field(default=600.0, gt=0)
    bounded: bool = False
    bounded_offsets: str | None = None  # "partition:0,offset:42;..." (see streams/offsets.py)
    restore_from: Path | None = None
    # False: ignore saved checkpoints and savepoints (after an upgrade that changed the job's
    # graph, whose old state cannot be mapped onto the new operators).
    resume: bool = True
    replay_filter: str = "TRUE"  # rendered by jobs/replay_guard.py, never from user input
    dlq_filter: str = "TRUE"  # likewise, for the dead letters a restart would replay
    python_executable: str | None = None
    # The jar of the job's JVM functions (jobs/jvm). None: compiled with javac into
    # ``udf_build_dir`` (jobs/udf.py); images without a JDK set a prebuilt jar here.
    udf_jar: Path | None = None
    udf_build_dir: Path | None = None
    ceilings: Ceilings = Field(default_factory=Ceilings.load)
    redaction_file: Path = Field(default_factory=lambda: config_file("redaction.yaml"))

    @model_validator(mode="after")
    def _horizons_fit(self) -> JobConfig:
        if self.run_idle_s < self.dedup_horizon_s:
            raise ValueError(
                f"run_idle_s ({self.run_idle_s:g}) is shorter than dedup_horizon_s"
                f" ({self.dedup_horizon_s:g}): a finished run's ids would be forgotten before"
                " the horizon; raise run_idle_s or lower dedup_horizon_s"
            )
        baseline = self.ceilings.windows.baseline_hours
        if self.state_ttl_hours is not None and self.state_ttl_hours < baseline:
            raise ValueError(
                f"state_ttl_hours ({self.state_ttl_hours:g}) is shorter than the windowed rules'"
                f" baseline_hours ({baseline:g}): a quiet workflow would lose its baseline"
            )
        return self

    def keyed_state_ttl_hours(self) -> float:
        """The TTL of keyed state other than runs' (customer-hours, workflow baselines)."""
        return self.state_ttl_hours or self.ceilings.windows.baseline_hours + 1.0

    def savepoint_location(self) -> str:
        """Where savepoints go: ``savepoints`` beside the checkpoints (a URI)."""
        if self.checkpoint_uri:
            return self.checkpoint_uri.rstrip("/").rsplit("/", 1)[0] + "/savepoints"
        return (self.checkpoint_dir.parent / "savepoints").resolve().as_uri()

    def late_location(self) -> str:
        """Where the late-event records go: beside the lake, never in it (``<lake>-late``)."""
        base = self.lake_uri or str(self.lake_path.resolve())
        return base.rstrip("/") + "-late"
