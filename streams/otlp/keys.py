"""The span attributes the OTLP mapping reads, in the order it tries them (docs/otlp.md is the
same table in words). The current OTel GenAI names come first, then the older ones,
OpenInference and Traceloop (OpenLLMetry)."""

from __future__ import annotations

# Identity: span attributes first (the span, then any other span of the trace), then the
# resource's. ``metadata.<x>`` is a key of OpenInference's ``metadata`` (a JSON object as text).
IDENTITY: dict[str, tuple[str, ...]] = {
    "workflow": (
        "agentgauge.workflow",
        "gen_ai.workflow.name",
        "gen_ai.agent.name",
        "traceloop.workflow.name",
        "metadata.workflow",
        "traceloop.association.properties.workflow",
    ),
    "customer_id": (
        "agentgauge.customer_id",
        "user.id",
        "metadata.customer_id",
        "traceloop.association.properties.customer_id",
        "traceloop.association.properties.user_id",
        "enduser.id",
    ),
    "segment": (
        "agentgauge.segment",
        "metadata.segment",
        "traceloop.association.properties.segment",
    ),
    "run_id": ("agentgauge.run_id", "metadata.run_id", "traceloop.association.properties.run_id"),
    "session_id": (
        "agentgauge.session_id",
        "gen_ai.conversation.id",
        "session.id",
        "traceloop.association.properties.session_id",
    ),
    "prompt_version": (
        "agentgauge.prompt_version",
        "llm.prompt_template.version",
        "traceloop.prompt.version",
        "metadata.prompt_version",
        "traceloop.association.properties.prompt_version",
    ),
    "policy_version": (
        "agentgauge.policy_version",
        "metadata.policy_version",
        "traceloop.association.properties.policy_version",
    ),
    "agent_version": ("agentgauge.agent_version", "gen_ai.agent.version", "service.version"),
    "environment": (
        "agentgauge.environment",
        "deployment.environment.name",
        "deployment.environment",
    ),
    "cohort": ("agentgauge.cohort", "metadata.cohort"),
}
WORKFLOW_FALLBACK = "service.name"  # a resource attribute, when nothing names the workflow
BUDGET = ("agentgauge.budget_usd",)
RUN_STATUS = ("agentgauge.run_status",)  # success | failure | escalated | halted, on the root

# What kind of span it is.
OPERATION = "gen_ai.operation.name"
LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "embeddings", "completion"}
)
TOOL_OPERATIONS = frozenset({"execute_tool"})
OPENINFERENCE_KIND = "openinference.span.kind"  # LLM, EMBEDDING, TOOL, CHAIN, AGENT, ...
OPENINFERENCE_LLM = frozenset({"LLM", "EMBEDDING"})
TRACELOOP_KIND = "traceloop.span.kind"  # workflow, task, agent, tool
TRACELOOP_REQUEST_TYPE = "llm.request.type"  # chat, completion, embedding

# model_call fields.
MODEL = (
    "gen_ai.request.model",
    "gen_ai.response.model",
    "llm.model_name",
    "llm.request.model",
    "llm.response.model",
)
PROVIDER = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
INPUT_TOKENS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "llm.usage.prompt_tokens",
)
OUTPUT_TOKENS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "llm.usage.completion_tokens",
)
CACHE_READ_TOKENS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
    "gen_ai.usage.cache_read_tokens",
)
CACHE_WRITE_TOKENS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
COST = ("llm.cost.total", "operation.cost", "gen_ai.usage.cost", "gen_ai.usage.cost_usd")

# tool_call fields. The arguments are hashed (args_hash) and never sent.
TOOL_NAME = ("gen_ai.tool.name", "tool.name")
TOOL_ARGS = ("gen_ai.tool.call.arguments", "tool.parameters", "input.value")
TOOL_CALL_ID = ("gen_ai.tool.call.id", "tool_call.id")

# retry and error fields.
RESEND_COUNT = "http.request.resend_count"
HTTP_STATUS = "http.response.status_code"
ERROR_TYPE = "error.type"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"

READ_KEYS = frozenset(
    k
    for group in (
        *IDENTITY.values(),
        (WORKFLOW_FALLBACK, OPERATION, OPENINFERENCE_KIND, TRACELOOP_KIND, TRACELOOP_REQUEST_TYPE),
        BUDGET,
        RUN_STATUS,
        MODEL,
        PROVIDER,
        INPUT_TOKENS,
        OUTPUT_TOKENS,
        CACHE_READ_TOKENS,
        CACHE_WRITE_TOKENS,
        COST,
        TOOL_NAME,
        TOOL_CALL_ID,
        (RESEND_COUNT, HTTP_STATUS, ERROR_TYPE),
    )
    for k in group
)
