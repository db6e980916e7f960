"""The SDK's entry points on arbitrary input: the reader and the contract raise only
ContractError, the redactor never raises and keeps JSON JSON, whatever the bytes."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.contract import ContractError, validate_event
from streams.emit_file import check_line
from streams.redaction import Redactor
from streams.settings import Settings

REDACTOR = Redactor.from_file(Settings().redaction_file)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
FIELDS = st.sampled_from(
    [
        "event_id",
        "event_type",
        "ts",
        "trace_id",
        "run_id",
        "workflow",
        "customer_id",
        "segment",
        "schema_version",
        "cost_usd",
        "input_tokens",
        "attempt",
        "attributes",
        "status",
        "model",
    ]
)
EVENTS = st.dictionaries(FIELDS | st.text(max_size=10), JSON, max_size=12)
COMMON = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(st.binary(max_size=300))
def test_check_line_raises_only_contract_errors_on_any_bytes(raw: bytes) -> None:
    try:
        check_line(raw)
    except ContractError as exc:
        assert exc.problems


@COMMON
@given(EVENTS)
def test_validate_event_raises_only_contract_errors(data: dict[str, Any]) -> None:
    try:
        validate_event(data)
    except ContractError as exc:
        assert exc.problems


@COMMON
@given(JSON)
def test_redacted_json_stays_json(value: Any) -> None:
    raw = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS) if _encodable(value) else b"null"
    out = REDACTOR.payload(raw)
    orjson.loads(out)  # valid JSON, one line
    assert "\n" not in out


@COMMON
@given(st.binary(max_size=300))
def test_redactor_takes_any_bytes(raw: bytes) -> None:
    assert isinstance(REDACTOR.payload(raw), str)


def _encodable(value: Any) -> bool:
    try:
        orjson.dumps(value)
        return True
    except (TypeError, orjson.JSONEncodeError):
        return False
