"""``agentgauge emit --file``: validate JSON lines, produce the valid events, park rejects."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from kafka.errors import KafkaError

from streams.client import Gauge
from streams.contract import ContractError, to_wire, too_deep, validate_event
from streams.dlq import dead_letter
from streams.redaction import Redactor
from streams.settings import Settings


@dataclass
class EmitReport:
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    delivered: bool = True
    dead_letters_failed: int = 0  # rejects the DLQ topic did not take (still in --rejects)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ContractError([("$", "invalid JSON (a duplicate key)")])
    return out


def check_line(raw: bytes) -> dict[str, Any]:
    """Decode and validate one line; raises ContractError naming what is wrong. The JSON rules
    are the job's (jobs/jvm ParseEvent): UTF-8 without a byte order mark, one object, no
    duplicate key (orjson would keep the last one silently), no unpaired surrogate, numbers
    within a double, nesting at most 64 levels."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError([("$", f"invalid JSON: {exc}")]) from None
    if isinstance(data, dict) and not too_deep(data):
        json.loads(raw, object_pairs_hook=_no_duplicate_keys)  # orjson accepted it: it parses
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
    redactor = Redactor.from_file(
        settings.redaction_file, settings.pseudonym_key.get_secret_value()
    )
    conn = settings.connection()
    dlq = conn.producer(client_id=f"{conn.client_id}-emit-dlq", acks="all")
    pending: list[Any] = []
    if rejects is not None:
        rejects.parent.mkdir(parents=True, exist_ok=True)
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
                    body = orjson.dumps(dead_letter(raw, str(exc), "emit", lineno, redactor))
                    try:
                        pending.append(dlq.send(settings.topic_dlq, value=body))
                    except KafkaError:
                        report.dead_letters_failed += 1
                    if rejects_fh:
                        rejects_fh.write(body + b"\n")
                    continue
                gauge.emit(event, trusted=True)
                report.accepted += 1
        report.delivered = gauge.flush(timeout=120)
        with contextlib.suppress(KafkaError):
            dlq.flush(timeout=30)
        for future in pending:
            if not future.is_done or future.failed():
                report.dead_letters_failed += 1
        stats = gauge.stats()
        if stats.failed or stats.dropped or stats.invalid or report.dead_letters_failed:
            report.delivered = False
    finally:
        if rejects_fh:
            rejects_fh.close()
        gauge.close(timeout=5)
        with contextlib.suppress(Exception):
            dlq.close(timeout=5)
    return report
