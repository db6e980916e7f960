"""Submit the job through its compiled plan, with a state TTL per operator.

``table.exec.state.ttl`` is one value for every operator, but the job's keyed state has
different purposes: a run's (event ids, totals) is worth keeping an hour after its last event;
a workflow's baseline must outlive a quiet day. Flink SQL's ``STATE_TTL`` hint covers joins and
group aggregates only, not the OVER aggregates the job is made of; a compiled plan (FLIP-190)
persists per node the configuration it is translated with, so the run-state node gets
``run_idle_s`` there and every other node the job-wide value.
"""

from __future__ import annotations

import json
from typing import Any

from pyflink.java_gateway import get_gateway
from pyflink.table import StatementSet, TableEnvironment, TableResult

from jobs.config import JobConfig
from streams.errors import AgentgaugeError

# The run-state operator: the one OVER aggregate that calls AG_RUN_STATE (sql/flink/12_*).
RUN_STATE_CALL = "AG_RUN_STATE("
_OVER = "stream-exec-over-aggregate"


class PlanError(AgentgaugeError):
    """The compiled plan does not have the shape the job's TTLs are set on."""


def ttl_ms(seconds: float) -> str:
    return f"{max(int(seconds * 1000), 1)} ms"


def set_run_state_ttl(plan: dict[str, Any], config: JobConfig) -> int:
    """Give the run-state node its own TTL in ``plan`` (in place); returns that node's id."""
    nodes = [
        n
        for n in plan.get("nodes", [])
        if str(n.get("type", "")).startswith(_OVER) and RUN_STATE_CALL in str(n.get("description"))
    ]
    if len(nodes) != 1:
        raise PlanError(f"expected one run-state operator in the compiled plan, found {len(nodes)}")
    node = nodes[0]
    node["configuration"] = {
        **node.get("configuration", {}),
        "table.exec.state.ttl": ttl_ms(config.run_idle_s),
    }
    return int(node["id"])


def compiled(stmt_set: StatementSet, config: JobConfig) -> dict[str, Any]:
    """The statement set's compiled plan (JSON) with the per-operator TTLs set."""
    plan: dict[str, Any] = json.loads(stmt_set._j_statement_set.compilePlan().asJsonString())
    set_run_state_ttl(plan, config)
    return plan


def execute(t_env: TableEnvironment, stmt_set: StatementSet, config: JobConfig) -> TableResult:
    """Submit the statement set as its compiled plan; returns the running job's result."""
    plan = compiled(stmt_set, config)
    reference = get_gateway().jvm.org.apache.flink.table.api.PlanReference
    loaded = t_env._j_tenv.loadPlan(reference.fromJsonString(json.dumps(plan)))
    return TableResult(loaded.execute())
