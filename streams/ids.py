"""Identifier helpers: W3C trace/span ids and event ids."""

from __future__ import annotations

import hashlib
import os
import uuid

import orjson


def new_trace_id() -> str:
    return os.urandom(16).hex()


def new_span_id() -> str:
    return os.urandom(8).hex()


def new_event_id() -> str:
    return str(uuid.uuid4())


def args_hash(args: object) -> str:
    """A stable hash of tool arguments; the arguments themselves never leave the process."""
    payload = orjson.dumps(args, option=orjson.OPT_SORT_KEYS, default=str)
    return "sha256:" + hashlib.sha256(payload).hexdigest()[:32]
