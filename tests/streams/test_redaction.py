"""A corpus of seeded secrets never reaches the topic."""

from __future__ import annotations

import pytest

from agentgauge.settings import AppSettings
from streams import Gauge
from streams.redaction import Redactor, luhn_valid
from tests.support.kafka import read_topic

SECRETS = {
    "email": ["jane.doe@example.com", "ops+alerts@corp.example.co.uk"],
    "bearer_token": ["Bearer eyJhbGciOiJIUzI1NiJ9abcdefgh.payload", "bearer abcdEFGH12345678"],
    "api_key": [
        "sk-proj-4f8a9b2c7d1e6f3a5b8c9d0e",
        "sk_live_51HqLyjWDarjtT1zdp7dc",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "xoxb-2345678901-abcdefghij",
    ],
    "card_number": ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"],
    "jwt": [
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    ],
}
KEYED = {
    "password": "hunter2-very-secret",
    "api_key": "plain-key-value-123",
    "Authorization": "Token abc123xyz",
}


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_non_secrets_survive(settings: AppSettings) -> None:
    r = Redactor.from_file(settings.redaction_file)
    text = "order 4111 1111 1111 1112 cost 0.0012345678901234 at 2026-11-16T09:30:00Z run-42"
    assert r.text(text) == text


def test_seeded_secrets_never_reach_the_topic(settings: AppSettings) -> None:
    all_secrets = [s for values in SECRETS.values() for s in values]
    with Gauge(settings) as gauge:
        with gauge.run(
            workflow="wf",
            customer_id="c",
            segment="s",
            attributes={"note": "contact " + all_secrets[0], **KEYED},
        ) as run:
            for kind, values in SECRETS.items():
                for value in values:
                    run.error("other", message=f"{kind} leaked: {value} (end)")
                    run.escalate(f"reason mentions {value}")
            gauge.emit(
                {
                    **run._base,
                    "event_id": "extra-1",
                    "event_type": "decision",
                    "ts": "2026-11-16T09:30:00Z",
                    "free_text": f"x {all_secrets[3]} y",
                    "nested": {"user_password": "swordfish", "deep": [all_secrets[5]]},
                }
            )
        assert gauge.flush(10)
        assert gauge.stats().redacted > 0
    payload = b"\n".join(r.value for r in read_topic(settings, settings.topic_events))
    for secret in [*all_secrets, *KEYED.values(), "swordfish"]:
        assert secret.encode() not in payload, secret
    for kind in [*SECRETS, "password", "api_key", "authorization"]:
        assert f"[REDACTED:{kind}]".encode() in payload, kind
    assert b"(end)" in payload  # surrounding text is kept


@pytest.mark.parametrize("kind", list(SECRETS))
def test_each_pattern_kind(settings: AppSettings, kind: str) -> None:
    r = Redactor.from_file(settings.redaction_file)
    for value in SECRETS[kind]:
        out = r.text(f"a {value} b")
        assert value not in out and out.startswith("a [REDACTED:") and out.endswith(" b")
