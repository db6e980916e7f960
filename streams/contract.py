"""Agent-event contract v1: the product's public schema.

The pydantic models here are the single source of truth. ``streams/schema/agent_event.v1.json``
is generated from them (``agentgauge schema --write``) and a test fails if the two drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from streams.errors import AgentgaugeError

SCHEMA_MAJOR = 1
SCHEMA_VERSION = "1.0"

CallStatus = Literal["ok", "error"]
RetryReason = Literal[
    "rate_limit",
    "timeout",
    "transient_error",
    "malformed_output",
    "validation_failed",
    "tool_error",
    "low_confidence",
    "other",
]
RetryStrategy = Literal["quick", "backoff", "guided", "human"]
ErrorCategory = Literal[
    "tool_error",
    "policy_violation",
    "context_failure",
    "model_failure",
    "timeout",
    "budget_exceeded",
    "other",
]
ReviewOutcome = Literal["approved", "overridden", "rejected"]
RunStatus = Literal["success", "failure", "escalated", "halted"]
CALL_STATUSES: tuple[str, ...] = get_args(CallStatus)
RETRY_REASONS: tuple[str, ...] = get_args(RetryReason)
RETRY_STRATEGIES: tuple[str, ...] = get_args(RetryStrategy)
ERROR_CATEGORIES: tuple[str, ...] = get_args(ErrorCategory)
REVIEW_OUTCOMES: tuple[str, ...] = get_args(ReviewOutcome)
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)

# RFC 3339 date-time with a mandatory offset (Z or +hh:mm). Python's fromisoformat accepts
# more than RFC 3339 (naive values, week dates), so the shape is checked first.
RFC3339_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
_RFC3339 = re.compile(RFC3339_PATTERN)

NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
NonNegFloat = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
INT64_MAX = 2**63 - 1  # counts fit a BIGINT (the warehouse, the job)
NonNegInt = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
Attempt = Annotated[StrictInt, Field(ge=1, le=INT64_MAX)]
# Objects and arrays nest at most this deep, the top-level object included (the job: Payloads).
MAX_DEPTH = 64
UnitInterval = Annotated[float, Field(ge=0, le=1, strict=True)]
AttributeValue = StrictStr | StrictBool | StrictInt | Annotated[float, Field(strict=True)]


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp with an offset into an aware UTC datetime."""
    if not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-11-16T09:30:00Z")
    text = value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T").replace(" ", "T")
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # Python keeps microseconds; RFC 3339 allows more digits
        text = text.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"is not a valid calendar date-time ({exc})") from None
    return parsed.astimezone(UTC)


def format_ts(ts: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with millisecond precision."""
    if ts.tzinfo is None:
        raise ValueError("naive datetime: timestamps must be timezone-aware")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class Envelope(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_id: NonEmptyStr = Field(description="Unique idempotency key; a re-sent event keeps it.")
    schema_version: Annotated[StrictStr, Field(pattern=r"^1\.\d+$")] = Field(
        description='"1.<minor>"; any other major is rejected.'
    )
    ts: datetime = Field(
        description="RFC 3339 timestamp with offset; naive timestamps are rejected.",
        json_schema_extra={"type": "string", "format": "date-time", "pattern": RFC3339_PATTERN},
    )
    trace_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="W3C trace id: 32 lowercase hex characters."
    )
    span_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{16}$")] | None = None
    parent_span_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{16}$")] | None = None
    run_id: NonEmptyStr = Field(description="One agent task execution: the scorecard unit.")
    workflow: NonEmptyStr
    customer_id: NonEmptyStr
    segment: NonEmptyStr
    session_id: StrictStr | None = None
    environment: StrictStr | None = None
    cohort: StrictStr | None = Field(default=None, description="Rollout cohort, e.g. canary.")
    agent_version: StrictStr | None = None
    prompt_version: StrictStr | None = None
    policy_version: StrictStr | None = None
    attributes: dict[str, AttributeValue] | None = Field(
        default=None, description="Flat object of string, number or bool values."
    )

    @field_validator("ts", mode="before")
    @classmethod
    def _ts_rfc3339(cls, value: Any) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive timestamp: an offset is required")
            return value.astimezone(UTC)
        if not isinstance(value, str):
            raise ValueError("must be an RFC 3339 string")
        return parse_rfc3339(value)


class RunStarted(Envelope):
    event_type: Literal["run_started"]
    budget_usd: NonNegFloat | None = Field(
        default=None, description="Overrides the configured per-run cost ceiling."
    )
    max_tool_calls: NonNegInt | None = None
    max_tokens: NonNegInt | None = Field(
        default=None, description="Overrides the configured per-run token budget."
    )
    max_duration_s: NonNegFloat | None = Field(
        default=None, description="Overrides the configured per-run time budget (seconds)."
    )


class ModelCall(Envelope):
    event_type: Literal["model_call"]
    model: NonEmptyStr = Field(description="OTel gen_ai.request.model")
    provider: StrictStr | None = Field(default=None, description="OTel gen_ai.provider.name")
    input_tokens: NonNegInt | None = Field(default=None, description="gen_ai.usage.input_tokens")
    output_tokens: NonNegInt | None = Field(default=None, description="gen_ai.usage.output_tokens")
    cost_usd: NonNegFloat | None = None
    latency_ms: NonNegFloat | None = None
    attempt: Attempt | None = Field(default=None, description=">= 2 means a retry attempt")
    status: CallStatus | None = None


class ToolCall(Envelope):
    event_type: Literal["tool_call"]
    tool: NonEmptyStr = Field(description="OTel gen_ai.tool.name")
    status: CallStatus
    latency_ms: NonNegFloat | None = None
    cost_usd: NonNegFloat | None = None
    attempt: Attempt | None = None
    args_hash: StrictStr | None = Field(default=None, description="Hash of the arguments only.")
    idempotency_key: StrictStr | None = None


class Decision(Envelope):
    event_type: Literal["decision"]
    decision: StrictStr | None = None
    confidence: UnitInterval | None = None


class Retry(Envelope):
    event_type: Literal["retry"]
    reason: RetryReason
    attempt: Attempt | None = None
    strategy: RetryStrategy | None = None


class Error(Envelope):
    event_type: Literal["error"]
    category: ErrorCategory
    code: StrictStr | None = None
    message: StrictStr | None = None
    fatal: StrictBool | None = None


class Escalation(Envelope):
    event_type: Literal["escalation"]
    reason: NonEmptyStr
    queue: StrictStr | None = None


class HumanReview(Envelope):
    event_type: Literal["human_review"]
    outcome: ReviewOutcome
    reviewer_id: StrictStr | None = None


class RunFinished(Envelope):
    event_type: Literal["run_finished"]
    status: RunStatus
    reason: StrictStr | None = Field(default=None, description="Why a halted run stopped.")
    duration_ms: NonNegFloat | None = None
    quality_score: UnitInterval | None = None


AgentEvent = Annotated[
    RunStarted
    | ModelCall
    | ToolCall
    | Decision
    | Retry
    | Error
    | Escalation
    | HumanReview
    | RunFinished,
    Field(discriminator="event_type"),
]
EVENT_ADAPTER: TypeAdapter[AgentEvent] = TypeAdapter(AgentEvent)
EVENT_MODELS: dict[str, type[Envelope]] = {
    "run_started": RunStarted,
    "model_call": ModelCall,
    "tool_call": ToolCall,
    "decision": Decision,
    "retry": Retry,
    "error": Error,
    "escalation": Escalation,
    "human_review": HumanReview,
    "run_finished": RunFinished,
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_MODELS)


class ContractError(AgentgaugeError):
    """An event broke contract v1. ``problems`` lists (field, rule) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {rule}" for field, rule in problems))


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` (iterative: any depth is safe)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            if isinstance(child, dict | list | tuple):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _precheck(data: Any) -> None:
    """Give the envelope failures that pydantic words poorly a precise message."""
    if not isinstance(data, dict):
        raise ContractError([("$", f"an event must be a JSON object, got {type(data).__name__}")])
    if too_deep(data):
        raise ContractError([("$", f"nested deeper than {MAX_DEPTH} levels")])
    version = data.get("schema_version")
    if isinstance(version, str):
        major = version.split(".", 1)[0]
        if major != str(SCHEMA_MAJOR):
            raise ContractError(
                [("schema_version", f"unsupported major version {major!r} (this reader takes 1.x)")]
            )
    event_type = data.get("event_type")
    if event_type is None:
        raise ContractError([("event_type", "field required")])
    if not isinstance(event_type, str) or event_type not in EVENT_MODELS:
        raise ContractError(
            [("event_type", f"unknown event type {event_type!r}; expected one of {EVENT_TYPES}")]
        )


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in EVENT_MODELS:  # drop the discriminator tag from the path
            loc = loc[1:]
        field = ".".join(loc) or "$"
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        problems.append((field, msg))
    return problems


def validate_event(data: Any) -> Envelope:
    """Validate one decoded event; raise :class:`ContractError` naming field and rule."""
    _precheck(data)
    try:
        return EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ContractError(_problems(exc)) from None


def to_wire(event: Envelope) -> dict[str, Any]:
    """The JSON-ready dict of a validated event, ``ts`` normalised to UTC, extras kept."""
    out = event.model_dump(mode="json", exclude_none=True)
    out["ts"] = format_ts(event.ts)
    return out


def json_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of contract v1, generated from the models."""
    schema = EVENT_ADAPTER.json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://agentgauge.dev/schema/agent_event.v1.json",
        "title": "agentgauge agent event, contract v1",
        **schema,
    }
    for model in schema.get("$defs", {}).values():
        model["additionalProperties"] = True
        # pydantic's generated ts keeps format/pattern from json_schema_extra
    return schema
