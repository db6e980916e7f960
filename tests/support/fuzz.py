"""A seeded corpus of hostile payloads for the job's functions and the SDK's reader: valid events,
field mutations, byte mutations and targeted poison (long secrets, deep nesting, odd numbers,
bad bytes, escapes). Deterministic for a seed; each payload carries its class."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from agentgauge.simulate import SimConfig, simulate
from streams.contract import ContractError
from streams.emit_file import check_line
from streams.pricing import PriceTable
from streams.settings import Settings

# Canaries: unique secret values; none may survive redaction.
CANARY_KEY = "CanaryKeyValue9x7"
CANARY_EMAIL = "canary.user+tag@example-mail.com"
CANARY_BEARER = "Bearer canaryTOKEN0123456789abcdef"
CANARY_CARD = "4111 1111 1111 1111"
CANARY_PASSWORD_TEXT = "password=CanaryPw0rdText"
CANARY_DSN = "postgres://admin:CanaryDsnPw@db.internal:5432/app"
CANARY_QUERY = "https://api.example.com/v1?api_key=CanaryQueryKey123&x=1"
SECRET_PARTS = (
    CANARY_KEY,
    "canary.user+tag",
    "canaryTOKEN0123456789abcdef",
    "4111 1111 1111 1111",
    "CanaryPw0rdText",
    "CanaryDsnPw",
    "CanaryQueryKey123",
)
SENSITIVE_KEYS = (
    "password",
    "userPassword",
    "db_password",
    "apiKey",
    "x-api-key",
    "API_KEY",
    "accessToken",
    "access-token",
    "Authorization",
    "clientSecret",
    "cookie",
    "Set-Cookie",
)


@dataclass(frozen=True)
class Case:
    kind: str
    payload: bytes
    secrets: tuple[str, ...] = ()  # canary substrings seeded in it


def _events(n_runs: int, seed: int) -> list[dict[str, Any]]:
    cfg = SimConfig(runs=n_runs, seed=seed, start=datetime(2026, 11, 2, tzinfo=UTC), days=1)
    return simulate(cfg, PriceTable.load(Settings().prices_file))


_RETYPES: list[Any] = [
    None,
    "",
    "12",
    12,
    -1,
    1.5,
    True,
    [],
    {},
    {"a": 1},
    10**20,
    -0.0,
    1e308,
    "x" * 300,
    "\u0000",
    "\ufeff",
    "é☃𝄞",
]


def _field_mutation(e: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    e = dict(e)
    key = rng.choice(sorted(e))
    roll = rng.random()
    if roll < 0.3:
        del e[key]
    elif roll < 0.8:
        e[key] = rng.choice(_RETYPES)
    else:
        extra = rng.choice(
            [
                "attributes",
                "span_id",
                "session_id",
                "fatal",
                "strategy",
                "confidence",
                "budget_usd",
                "input_tokens",
                "attempt",
                "provider",
            ]
        )
        e[extra] = rng.choice([*_RETYPES, "0123456789abcdef", {"k": "v", "n": 1}, 0.5, 2])
    return e


def _byte_mutation(raw: bytes, rng: random.Random) -> bytes:
    b = bytearray(raw)
    op = rng.randrange(5)
    i = rng.randrange(len(b))
    if op == 0:
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        del b[i:]
    elif op == 2:
        j = rng.randrange(i, len(b))
        b[i:i] = b[i:j]
    elif op == 3:
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    else:
        b[i] = rng.choice(b'\x00\xff\xc3\xed\n"\\{}[],:')
    return bytes(b)


def _targeted(base: dict[str, Any], rng: random.Random) -> list[Case]:
    def ev(**fields: Any) -> dict[str, Any]:
        return {**base, **fields}

    out: list[Case] = []
    for size in (1_000, 5_000, 50_000, 1_000_000):
        token = "Bearer " + "A" * size
        out.append(Case("long_secret", orjson.dumps(ev(attributes={"authorization": token}))))
        out.append(Case("long_secret", orjson.dumps(ev(message=token, cookie="c" * size))))
        out.append(
            Case(
                "long_secret",
                orjson.dumps(ev(note="x" * size + " " + CANARY_EMAIL)),
                ("canary.user+tag",),
            )
        )
    for labels in (1_000, 3_000, 10_000):
        out.append(Case("long_email", orjson.dumps(ev(message="a@" + ".b" * labels + ".com"))))
        out.append(Case("long_email", orjson.dumps(ev(message="a" + "@b" * labels))))
    for key in SENSITIVE_KEYS:
        for value in (CANARY_KEY, {"v": CANARY_KEY}, [CANARY_KEY, {"x": CANARY_KEY}], 7, None):
            nested = {"outer": {key: value}, "list": [{key: value}]}
            secrets = (CANARY_KEY,) if value not in (7, None) else ()
            out.append(
                Case("sensitive_key", orjson.dumps(ev(attributes=None, extra=nested)), secrets)
            )
    names = ("password", "secret", "api_key", "access_token", "authorization", "cookie", "ssn")
    for _ in range(300):  # any spelling of a sensitive name: case, separators, a prefix
        name = rng.choice(names).replace("_", "")
        spelled = "".join(
            (c.upper() if rng.random() < 0.4 else c) + rng.choice(["", "", "", "_", "-"])
            for c in name
        ).rstrip("_-")
        key = rng.choice(["", "x_", "db-", "user"]) + spelled
        value: Any = CANARY_KEY
        for _ in range(rng.randrange(0, 5)):  # nested in objects and arrays
            value = rng.choice([{"k": value}, [value], {"n": 1, "v": [value]}])
        holder: Any = {key: value}
        for _ in range(rng.randrange(0, 4)):
            holder = rng.choice([{"wrap": holder}, [holder]])
        out.append(Case("key_spelling", orjson.dumps(ev(extra=holder)), (CANARY_KEY,)))
    free = (
        CANARY_PASSWORD_TEXT,
        CANARY_DSN,
        CANARY_QUERY,
        CANARY_BEARER,
        CANARY_EMAIL,
        CANARY_CARD,
    )
    for text in free:
        secrets = tuple(p for p in SECRET_PARTS if p in text)
        out.append(Case("free_text", orjson.dumps(ev(message=f"see {text} now")), secrets))
        escaped = (
            json.dumps(ev(message=f"see {text} now"), ensure_ascii=True)
            .replace("@", "\\u0040")
            .replace("/", "\\/")
        )
        out.append(Case("escaped", escaped.encode(), secrets))
    for digits in range(13, 20):
        n = int("1" + "7" * (digits - 1))
        out.append(Case("bare_number", orjson.dumps(ev(attributes={"started_ms": n}, count=-n))))
        out.append(Case("bare_number", f'{{"x": {n}, "run_id": "r"}}'.encode()))
    for depth in (60, 63, 64, 65, 70, 900, 1100, 3_000):
        deep = b"[" * depth + b"]" * depth
        out.append(Case("deep", orjson.dumps(ev(attributes=None))[:-1] + b',"deep":' + deep + b"}"))
        out.append(Case("deep", deep))
    numbers = ("1e400", "-1e400", "-0", "12345678901234567890", "1" * 400, "1.5e-400", "0.1e1")
    for text in numbers:
        raw = orjson.dumps(ev(model_call_extra=1))
        out.append(Case("number", raw[:-1] + f',"n":{text}}}'.encode()))
        out.append(
            Case(
                "number",
                raw[:-1]
                + f',"cost_usd_x":{text},"input_tokens":{text}}}'.encode().replace(
                    b'"input_tokens":', b'"tokens":'
                ),
            )
        )
    raw = orjson.dumps(ev())
    for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x00"):
        out.append(Case("bad_bytes", raw[:-1] + b',"m":"a' + bad + b'b"}'))
    for esc in (b"\\ud800", b"\\udfff", b"\\ud800\\u0041", b"\\u0000", b"\\ud83d\\ude00"):
        out.append(Case("escape", raw[:-1] + b',"m":"' + esc + b'"}'))
    out.append(Case("bom", b"\xef\xbb\xbf" + raw))
    for field in ("customer_id", "run_id", "workflow", "segment", "session_id"):
        out.append(Case("pseudonym", orjson.dumps(ev(**{field: CANARY_EMAIL})), ("canary.user",)))
    # Valid events whose identity is hostile: a 1 MB segment or workflow, 500 segments of one
    # workflow (the windowed rules cap segments per window), a slow call and a dear one.
    for field in ("segment", "workflow"):
        out.append(Case("huge_identity", orjson.dumps(ev(**{field: "s" * 1_000_000}))))
    model_call = {"event_type": "model_call", "model": "gpt-4o", "latency_ms": 1e308}
    for k in range(500):
        extra = {"cost_usd": 1e300} if k % 100 == 0 else {}
        out.append(
            Case(
                "many_segments",
                orjson.dumps(ev(**model_call, **extra, segment=f"seg-{k}", event_id=f"ms-{k}")),
            )
        )
    out.append(Case("pretty", json.dumps(ev(), indent=2).encode()))
    out.append(Case("pretty", json.dumps(ev(message="two\nlines"), indent=1).encode()))
    out.append(Case("duplicate", raw[:-1] + b',"ts":"2099-01-01T00:00:00Z"}'))
    out.append(Case("duplicate", raw[:-1] + b',"attributes":{"a":1,"a":2}}'))
    out.append(Case("control", raw[:-1] + b',"m":"a\x01b"}'))
    out.append(Case("binary", bytes(rng.randrange(256) for _ in range(250_000))))
    out.append(Case("binary", b'{"p":"' + b"\x01" * 200_000 + b'"}'))
    return out


def corpus(seed: int = 13, size: int = 20_000) -> list[Case]:
    rng = random.Random(seed)
    events = _events(400, seed)
    valid = [orjson.dumps(e) for e in events]
    cases = [Case("valid", v) for v in valid]
    base = next(e for e in events if e["event_type"] == "model_call")
    cases += _targeted(base, rng)
    while len(cases) < size:
        e = rng.choice(events)
        if rng.random() < 0.55:
            cases.append(Case("field_mutation", json.dumps(_field_mutation(e, rng)).encode()))
        else:
            cases.append(Case("byte_mutation", _byte_mutation(orjson.dumps(e), rng)))
    return cases


def sdk_accepts(raw: bytes) -> bool:
    """The SDK's reader's verdict (the same rules as the job's, by this corpus's test)."""
    try:
        check_line(raw)
        return True
    except ContractError:
        return False
