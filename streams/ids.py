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
    """A stable hash of tool arguments; the arguments themselves never leave the process.
    Never raises: keys of any type are hashed as text, and what orjson cannot encode (a cycle,
    nesting past its limit) is hashed by its repr."""
    option = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    try:
        payload = orjson.dumps(args, option=option, default=str)
    except (TypeError, orjson.JSONEncodeError):
        try:
            payload = repr(args).encode("utf-8", "replace")
        except Exception:  # a __repr__ that raises: only the type is known
            payload = type(args).__qualname__.encode()
    return "sha256:" + hashlib.sha256(payload).hexdigest()[:32]
