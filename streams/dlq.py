"""The dead-letter record: what ``agentgauge emit`` and the Flink job (AG_DEAD_LETTER,
jobs/jvm/.../DeadLetter.java) write for a rejected record (docs/events.md).

The payload is redacted (the same rules as everywhere, streams/redaction.py) and cut to
:data:`MAX_PAYLOAD_CHARS` so that no record can exceed a Kafka request, whatever came in; the
original's size and SHA-256 say what it was. The reason is redacted too: a contract error can
quote the value it rejects.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from streams.redaction import Redactor

MAX_PAYLOAD_CHARS = 65_536  # DeadLetter.MAX_CHARS
MAX_REASON_CHARS = 1_000


def dead_letter(
    raw: bytes, reason: str, source: str, line: int | None, redactor: Redactor
) -> dict[str, Any]:
    text = redactor.payload(raw.rstrip(b"\r\n"))
    cut = len(text) > MAX_PAYLOAD_CHARS
    return {
        "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
        "line": line,
        "reason": redactor.text(reason)[:MAX_REASON_CHARS],
        "payload": text[:MAX_PAYLOAD_CHARS],
        "payload_bytes": len(raw.rstrip(b"\r\n")),
        "payload_sha256": hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest(),
        "payload_truncated": cut,
    }
