"""Contract v1: the published schema matches the model, docs examples validate, errors are named."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from streams.contract import EVENT_TYPES, ContractError, json_schema, to_wire, validate_event
from tests.support import REPO

SCHEMA_FILE = REPO / "streams" / "schema" / "agent_event.v1.json"


def _doc_examples() -> list[dict[str, Any]]:
    text = (REPO / "docs" / "events.md").read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def _valid() -> dict[str, Any]:
    return {
        "event_id": "e-1",
        "schema_version": "1.0",
        "event_type": "model_call",
        "ts": "2026-11-16T09:30:00.250+01:00",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "run_id": "run-1",
        "workflow": "refund_approval",
        "customer_id": "cust-1",
        "segment": "enterprise",
        "model": "gpt-4o",
        "cost_usd": 0.01,
    }


def test_published_schema_is_generated_from_the_model() -> None:
    published = json.loads(SCHEMA_FILE.read_text())
    assert published == json.loads(json.dumps(json_schema(), sort_keys=True)), (
        "run `agentgauge schema --write`"
    )
    jsonschema.Draft202012Validator.check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_docs_have_one_valid_example_per_event_type() -> None:
    examples = _doc_examples()
    assert sorted(e["event_type"] for e in examples) == sorted(EVENT_TYPES)
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    for example in examples:
        validator.validate(example)
        validate_event(example)


def test_ts_is_normalised_to_utc_and_extras_are_kept() -> None:
    event = validate_event({**_valid(), "schema_version": "1.7", "new_field": {"x": 1}})
    wire = to_wire(event)
    assert wire["ts"] == "2026-11-16T08:30:00.250Z"
    assert wire["new_field"] == {"x": 1}


BAD = [
    ("missing run_id", {"run_id": None}, "run_id"),
    ("empty workflow", {"workflow": ""}, "workflow"),
    ("unknown event_type", {"event_type": "teleport"}, "event_type"),
    ("negative cost", {"cost_usd": -0.5}, "cost_usd"),
    ("wrong type", {"input_tokens": "12"}, "input_tokens"),
    ("naive ts", {"ts": "2026-11-16T09:30:00"}, "ts"),
    ("unparseable ts", {"ts": "yesterday"}, "ts"),
    ("impossible date", {"ts": "2026-02-30T09:30:00Z"}, "ts"),
    ("schema major 9", {"schema_version": "9.0"}, "schema_version"),
    ("upper-case trace", {"trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736"}, "trace_id"),
    ("attempt zero", {"attempt": 0}, "attempt"),
    ("bad status", {"status": "meh"}, "status"),
    ("nested attribute", {"attributes": {"a": {"b": 1}}}, "attributes.a"),
    ("missing model", {"model": None}, "model"),
]


@pytest.mark.parametrize(("name", "patch", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_events_name_the_field_and_rule(name: str, patch: dict[str, Any], field: str) -> None:
    data = {k: v for k, v in {**_valid(), **patch}.items() if v is not None}
    with pytest.raises(ContractError) as info:
        validate_event(data)
    fields = [p[0] for p in info.value.problems]
    assert any(f == field or f.startswith(field + ".") for f in fields), info.value.problems
    assert all(rule for _, rule in info.value.problems)
    # The published JSON Schema rejects the same event (the two cannot drift apart).
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    if name != "impossible date":  # calendar validity is beyond a pattern
        assert not validator.is_valid(data)


def test_required_fields_by_type() -> None:
    cases = {
        "tool_call": ({"tool": "x"}, "status"),
        "retry": ({}, "reason"),
        "error": ({}, "category"),
        "escalation": ({}, "reason"),
        "human_review": ({}, "outcome"),
        "run_finished": ({}, "status"),
    }
    for event_type, (fields, missing) in cases.items():
        base = {k: v for k, v in _valid().items() if k not in ("model", "cost_usd")}
        with pytest.raises(ContractError) as info:
            validate_event({**base, "event_type": event_type, **fields})
        assert missing in str(info.value)
