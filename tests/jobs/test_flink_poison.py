"""A bounded run of the real job over a poison corpus: long secrets under sensitive keys, long
emails, bare 13-19 digit numbers, deep nesting, odd numbers, invalid bytes, lone surrogates,
pretty-printed JSON, duplicate keys, a future ts, binary and oversized records. With restarts
off, the job must finish; every record ends in exactly one of the lake and the DLQ; every lake
line loads (orjson and DuckDB, no ignore_errors); no seeded secret lands anywhere."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from agentgauge.wiring import job_config
from jobs.runner import run_bounded
from streams.lake import committed_files
from tests.support.fuzz import SECRET_PARTS, _events, _targeted, sdk_accepts
from tests.support.kafka import isolated_settings, produce, read_json

pytestmark = pytest.mark.flink


@pytest.fixture(scope="module")
def poisoned(broker: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    s = isolated_settings(broker, tmp_path_factory.mktemp("poison") / "var")
    events = _events(40, seed=5)
    base = next(e for e in events if e["event_type"] == "model_call")
    cases = _targeted(base, random.Random(5))
    payloads = [orjson.dumps(e) for e in events] + [c.payload for c in cases]
    future = {**base, "event_id": "from-the-future"}
    future["ts"] = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    payloads.append(orjson.dumps(future))
    # Unique ids for the targeted cases built on one event: each is its own record.
    payloads = [
        p.replace(base["event_id"].encode(), f"poison-{i}".encode()) for i, p in enumerate(payloads)
    ]
    keys: list[bytes | None] = [None] * len(payloads)
    produce(s, s.topic_events, payloads, keys)
    cfg = job_config(s, group_id="poison", parallelism=2)
    run_bounded(cfg)  # bounded: restart-strategy none, so any failure raises here
    return {
        "settings": s,
        "payloads": payloads,
        "lake": [
            line for f in committed_files(cfg.lake_path) for line in f.read_bytes().splitlines()
        ],
        "files": committed_files(cfg.lake_path),
        "dlq": read_json(s, s.topic_dlq),
    }


def test_every_record_lands_in_exactly_one_place(poisoned: dict[str, Any]) -> None:
    payloads: list[bytes] = poisoned["payloads"]
    dlq = poisoned["dlq"]
    lake = poisoned["lake"]
    expected_valid = sum(1 for p in payloads if sdk_accepts(p))
    future = sum(1 for p in payloads if b"from-the-future" in p)
    assert len(lake) + len(dlq) == len(payloads)
    assert len(lake) == expected_valid - future  # the future event is valid to the SDK
    reasons = Counter(d["reason"].split(" (")[0] for d in dlq)
    assert all(d["reason"] for d in dlq), reasons
    assert any(d["reason"].startswith("ts: ts_in_future") for d in dlq)
    assert reasons["$: invalid UTF-8"] >= 3 and reasons["$: invalid JSON"] >= 5
    offsets = Counter((d["kafka_partition"], d["kafka_offset"]) for d in dlq)
    assert max(offsets.values()) == 1
    for d in dlq:
        assert len(d["payload"]) <= 65_536 and d["payload_bytes"] >= 0
        assert len(d["payload_sha256"]) == 64
    assert any(d["payload_truncated"] for d in dlq)  # the 250 KB binary record


def test_lake_lines_load_everywhere(poisoned: dict[str, Any], tmp_path: Path) -> None:
    for line in poisoned["lake"]:
        orjson.loads(line)  # valid JSON, valid UTF-8, one record per line
    files = [str(f) for f in poisoned["files"]]
    with duckdb.connect() as conn:
        n = conn.execute(
            "SELECT count(*) FROM read_json(?, format='newline_delimited', union_by_name=true)",
            [files],
        ).fetchone()
    assert n is not None and n[0] == len(poisoned["lake"])


def test_no_seeded_secret_lands(poisoned: dict[str, Any]) -> None:
    out = b"\n".join(poisoned["lake"]) + orjson.dumps(poisoned["dlq"])
    for secret in (*SECRET_PARTS, "A" * 1000):
        assert secret.encode() not in out, secret
