"""Assemble the agentgauge Flink job: ``build(table_env, config)`` returns its StatementSet.

All INSERTs go into one statement set, so the job is one Flink job reading the topic once with
one consumer group.
"""

from __future__ import annotations

from pyflink.table import StatementSet, TableEnvironment

from jobs.config import JobConfig
from jobs.sql_render import is_insert, render, rule_params, statements, with_options
from jobs.udf import REDACTION_PARAMETER, SKEW_PARAMETER, redaction_spec, udf_jar
from streams.redaction import RedactionConfig


def kafka_common(config: JobConfig) -> dict[str, str]:
    props = {**config.connection.java_properties(), **config.kafka_properties}
    return {f"properties.{k}": v for k, v in props.items()}


def source_options(config: JobConfig) -> dict[str, str]:
    opts = {
        "connector": "kafka",
        "topic": config.topic_events,
        **kafka_common(config),
        "properties.group.id": config.group_id,
        "properties.auto.offset.reset": "earliest",
        # Streaming resumes from the group's committed offsets (or a checkpoint); a bounded run
        # (backfill, tests) reads the whole topic.
        "scan.startup.mode": "earliest-offset" if config.bounded else "group-offsets",
        "format": "raw",
    }
    if config.bounded_offsets is not None:
        opts["scan.bounded.mode"] = "specific-offsets"
        opts["scan.bounded.specific-offsets"] = config.bounded_offsets
    elif config.bounded:
        opts["scan.bounded.mode"] = "latest-offset"
    return opts


def kafka_sink_options(config: JobConfig, topic: str, key: str | None) -> dict[str, str]:
    opts = {
        "connector": "kafka",
        "topic": topic,
        **kafka_common(config),
        "sink.delivery-guarantee": "at-least-once",
        "value.format": "json",
        "value.json.encode.ignore-null-fields": "true",
    }
    if key:
        opts.update({"key.format": "raw", "key.fields": key, "value.fields-include": "ALL"})
    return opts


def lake_options(config: JobConfig, late: bool = False) -> dict[str, str]:
    # 'agentgauge-lines' (jobs/jvm/.../LakeLines.java) writes the payload as JSON lines, buffered:
    # as a bulk format, part files roll on every checkpoint, which commits them.
    path = config.lake_uri or str(config.lake_path.resolve())
    return {
        "connector": "filesystem",
        "path": config.late_location() if late else path,
        "format": "agentgauge-lines",
        "sink.rolling-policy.file-size": "128MB",
        "sink.partition-commit.trigger": "process-time",
        "sink.partition-commit.delay": "0 s",
        "sink.partition-commit.policy.kind": "success-file",
    }


def _customer_until(minutes: int) -> str:
    """When a customer's breaker ends: the end of its hour (the alert's window_end), and at least
    ``minutes`` from now (both are RFC 3339 UTC text of one width: they compare as strings)."""
    return (
        f"GREATEST(window_end, DATE_FORMAT(CURRENT_TIMESTAMP + INTERVAL '{int(minutes)}' MINUTE,"
        " 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''))"
    )


def render_all(config: JobConfig) -> list[tuple[str, str]]:
    params = {
        "watermark_delay_s": str(int(config.watermark_delay_s)),
        "ts_max_skew_s": str(int(config.ts_max_skew_s)),
        "source_options": with_options(source_options(config)),
        "dlq_options": with_options(kafka_sink_options(config, config.topic_dlq, None)),
        "alerts_options": with_options(kafka_sink_options(config, config.topic_alerts, "alert_id")),
        "controls_options": with_options(
            kafka_sink_options(config, config.topic_controls, "control_key")
        ),
        "run_breaker_hold_hours": str(int(config.ceilings.breakers.run_hold_hours)),
        "dedup_horizon_ms": str(int(config.dedup_horizon_s * 1000)),
        "customer_until_expr": _customer_until(config.ceilings.breakers.customer_hold_minutes),
        "lake_options": with_options(lake_options(config)),
        "late_options": with_options(lake_options(config, late=True)),
        "replay_filter": config.replay_filter,
        "dlq_filter": config.dlq_filter,
        **rule_params(config.ceilings),
    }
    return [(name, render(sql, params)) for name, sql in statements()]


def pipeline_name(config: JobConfig) -> str:
    return f"agentgauge-job ({config.group_id})"


def configure(t_env: TableEnvironment, config: JobConfig) -> None:
    c = t_env.get_config()
    c.set("table.local-time-zone", "UTC")
    c.set("parallelism.default", str(config.parallelism))
    # Every keyed state's TTL; the run-state operator's own is set on the compiled plan
    # (jobs/plan.py).
    c.set("table.exec.state.ttl", f"{int(config.keyed_state_ttl_hours() * 3600 * 1000)} ms")
    # Idleness is judged by wall clock: while catching up, a partition the reader has not polled
    # for a while looks idle and its records turn late. Bounded runs need none (a finished
    # partition stops holding the watermark back), so they switch it off.
    idle = 0 if config.bounded else config.idle_timeout_s
    c.set("table.exec.source.idle-timeout", f"{idle} s" if idle else "0 ms")
    c.set("execution.checkpointing.interval", f"{int(config.checkpoint_interval_s * 1000)} ms")
    c.set(
        "execution.checkpointing.dir",
        config.checkpoint_uri or config.checkpoint_dir.resolve().as_uri(),
    )
    c.set("execution.checkpointing.savepoint-dir", config.savepoint_location())
    c.set("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    c.set("execution.checkpointing.num-retained", "3")
    c.set("state.backend.type", config.state_backend)
    if config.state_backend == "rocksdb":
        c.set("execution.checkpointing.incremental", "true")
        if config.rocksdb_memory_per_slot_mb is not None:
            c.set(
                "state.backend.rocksdb.memory.fixed-per-slot",
                f"{config.rocksdb_memory_per_slot_mb} mb",
            )
    # Flink never restarts the job itself: a restart from a checkpoint would write again the
    # alerts raised since it. The runner restarts it, with the replay guard (run_streaming).
    c.set("restart-strategy.type", "none")
    # Chained operators hand rows on without a defensive deep copy (the SQL runtime and our
    # functions never hold on to an input row): copying every row, payload included, into each
    # branch after the run-state operator was the largest single cost of the job.
    c.set("pipeline.object-reuse", "true")
    # Network buffers flush at least this often: an alert crosses ~5 exchanges on its way out,
    # and the 100 ms default adds up to half a second of alert latency.
    c.set("execution.buffer-timeout.interval", "10 ms")
    # One job per consumer group: a restart on a cluster finds (and replaces) its predecessor.
    c.set("pipeline.name", pipeline_name(config))
    # The JVM functions (jobs/jvm): the jar is shipped with the job; the redaction rules reach
    # ParseEvent as a job parameter (base64, so the map syntax's ',' and ':' cannot break it).
    jar = config.udf_jar or udf_jar(config.udf_build_dir)
    c.set("pipeline.jars", jar.resolve().as_uri())
    spec = redaction_spec(RedactionConfig.load(config.redaction_file))
    c.set(
        "pipeline.global-job-parameters",
        f"{REDACTION_PARAMETER}:{spec},{SKEW_PARAMETER}:{int(config.ts_max_skew_s)}",
    )
    if config.restore_from is not None:
        c.set("execution.state-recovery.path", config.restore_from.resolve().as_uri())
    if config.python_executable:
        c.set("python.executable", config.python_executable)
        c.set("python.client.executable", config.python_executable)


def build(t_env: TableEnvironment, config: JobConfig) -> StatementSet:
    """Create tables and views on ``t_env`` and return the statement set of all INSERTs."""
    configure(t_env, config)
    stmt_set = t_env.create_statement_set()
    for _name, sql in render_all(config):
        if is_insert(sql):
            stmt_set.add_insert_sql(sql)
        else:
            t_env.execute_sql(sql)
    return stmt_set
