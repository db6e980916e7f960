"""``agentgauge emit --file``: validate JSON lines, produce the valid events, park rejects."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from streams.client import Gauge
from streams.contract import ContractError, to_wire, validate_event
from streams.settings import Settings


@dataclass
class EmitReport:
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    delivered: bool = True


def dlq_record(payload: str, reason: str, source: str, line: int | None) -> dict[str, Any]:
    """The dead-letter record shared by ``emit`` and the Flink job (docs/events.md)."""
    return {
        "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
        "line": line,
        "reason": reason,
        "payload": payload,
    }


def check_line(raw: bytes) -> dict[str, Any]:
    """Decode and validate one line; raises ContractError naming what is wrong."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError([("$", f"invalid JSON: {exc}")]) from None
    return to_wire(validate_event(data))


def emit_file(
    path: Path,
    settings: Settings,
    rejects: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EmitReport:
    report = EmitReport()
    # A batch must not drop: let emit() wait for queue space instead.
    gauge = Gauge.for_batch(settings)
    conn = settings.connection()
    dlq = conn.producer(client_id=f"{conn.client_id}-emit-dlq", acks="all")
    rejects_fh: IO[bytes] | None = rejects.open("wb") if rejects else None
    try:
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if on_progress:
                    on_progress(len(raw))
                if not raw.strip():
                    continue
                try:
                    event = check_line(raw)
                except ContractError as exc:
                    report.rejected += 1
                    key = exc.problems[0][0]
                    report.reasons[key] = report.reasons.get(key, 0) + 1
                    rec = dlq_record(
                        raw.decode("utf-8", "replace").rstrip("\n"), str(exc), "emit", lineno
                    )
                    body = orjson.dumps(rec)
                    dlq.send(settings.topic_dlq, value=body)
                    if rejects_fh:
                        rejects_fh.write(body + b"\n")
                    continue
                gauge.emit(event, trusted=True)
                report.accepted += 1
        report.delivered = gauge.flush(timeout=120)
        dlq.flush(timeout=30)
        stats = gauge.stats()
        if stats.failed or stats.dropped:
            report.delivered = False
    finally:
        if rejects_fh:
            rejects_fh.close()
        gauge.close(timeout=5)
        with contextlib.suppress(Exception):
            dlq.close(timeout=5)
    return report
