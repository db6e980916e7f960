"""Redaction of secrets and personal data before an event leaves the process."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, Field

# Structural fields: identifiers, enums and versions that downstream joins depend on.
PROTECTED_FIELDS = frozenset(
    {
        "event_id",
        "schema_version",
        "event_type",
        "ts",
        "trace_id",
        "span_id",
        "parent_span_id",
        "run_id",
        "session_id",
        "workflow",
        "customer_id",
        "segment",
        "environment",
        "cohort",
        "agent_version",
        "prompt_version",
        "policy_version",
        "model",
        "provider",
        "tool",
        "status",
        "category",
        "outcome",
        "strategy",
        "args_hash",
        "idempotency_key",
    }
)


# Envelope identifiers that pass redaction untouched, unless one looks like an email: then it
# is replaced by a keyed hash (the same in the job: Redact.java, ParseEvent.java), so joins
# still hold and no address reaches a topic, the lake or an alert.
PSEUDONYMISED_FIELDS = (
    "run_id",
    "session_id",
    "workflow",
    "customer_id",
    "segment",
    "idempotency_key",
)
# The key of that hash when none is configured (`pseudonym_key`, AGENTGAUGE_PSEUDONYM_KEY):
# public, so set your own to keep the pseudonyms from being matched against guessed addresses.
DEFAULT_PSEUDONYM_KEY = "agentgauge-pseudonym-v1"
PSEUDONYM_KEY_ENV = "AGENTGAUGE_PSEUDONYM_KEY"  # how the job's JVM gets the key (Pseudonyms.java)


def pseudonym(value: str, key: str) -> str:
    """``anon-`` and 24 hex digits of HMAC-SHA256(key, value)."""
    digest = hmac.new(key.encode(), value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "anon-" + digest.hexdigest()[:24]


class PatternSpec(BaseModel):
    kind: str
    regex: str
    luhn: bool = False
    prefilter: list[str] = []
    # Used by the Flink job only (see redaction.yaml): in Python a char scan costs about what
    # the regex does.
    min_digits: int | None = Field(default=None, ge=1)

    @property
    def case_insensitive(self) -> bool:
        return self.regex.startswith("(?i)")


class RedactionConfig(BaseModel):
    version: int
    keys: list[str]
    patterns: list[PatternSpec]

    @classmethod
    def load(cls, path: Path) -> RedactionConfig:
        return cls.model_validate(yaml.safe_load(path.read_text()))


def luhn_valid(digits: str) -> bool:
    """Luhn checksum (no library: it is five lines and must run per match)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class _Compiled:
    kind: str
    regex: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    prefilter: tuple[str, ...]
    fold_case: bool

    def may_match(self, text: str, lowered: str) -> bool:
        if not self.prefilter:
            return True
        haystack = lowered if self.fold_case else text
        return any(p in haystack for p in self.prefilter)


_MAX_KEY_VERDICTS = 10_000


def normalise_key(key: object) -> str:
    """A key as the key rules compare it: lowercased, without '_' and '-' (camelCase, snake and
    kebab spellings of a name compare equal). The JVM does the same (Redact.java)."""
    return str(key).lower().replace("_", "").replace("-", "")


class Redactor:
    """Applies key-name and value-pattern rules; counts what it replaced."""

    def __init__(self, config: RedactionConfig, pseudonym_key: str = DEFAULT_PSEUDONYM_KEY) -> None:
        self.config = config
        self._pseudonym_key = pseudonym_key
        emails = [p.regex for p in config.patterns if p.kind == "email"]
        self._email = re.compile(emails[0]) if emails else None
        self._keys = tuple((normalise_key(k), k) for k in config.keys)
        self._compiled = [self._compile(p) for p in config.patterns]
        # Keys repeat (the event fields, an agent's attribute names): their verdict is kept,
        # bounded so that made-up keys cannot grow it.
        self._key_verdicts: dict[str, str | None] = {}
        self.redacted = 0

    @classmethod
    def from_file(cls, path: Path, pseudonym_key: str = DEFAULT_PSEUDONYM_KEY) -> Redactor:
        return cls(RedactionConfig.load(path), pseudonym_key)

    def looks_like_email(self, value: str) -> bool:
        return "@" in value and self._email is not None and self._email.search(value) is not None

    def _compile(self, spec: PatternSpec) -> _Compiled:
        token = f"[REDACTED:{spec.kind}]"
        if spec.luhn:

            def replace(m: re.Match[str]) -> str:
                digits = re.sub(r"\D", "", m.group(0))
                return token if luhn_valid(digits) else m.group(0)
        else:

            def replace(m: re.Match[str]) -> str:
                return token

        fold = spec.case_insensitive
        prefilter = tuple(p.lower() if fold else p for p in spec.prefilter)
        return _Compiled(spec.kind, re.compile(spec.regex), replace, prefilter, fold)

    def sensitive_key(self, key: object) -> str | None:
        """The rule name a key matches (its value is redacted whole), or None."""
        if type(key) is str and key in self._key_verdicts:
            return self._key_verdicts[key]
        k = normalise_key(key)
        verdict = next((name for norm, name in self._keys if k.endswith(norm)), None)
        if type(key) is str and len(key) <= 200 and len(self._key_verdicts) < _MAX_KEY_VERDICTS:
            self._key_verdicts[key] = verdict
        return verdict

    def text(self, value: str) -> str:
        out = value
        lowered = value.lower()
        for c in self._compiled:
            if c.may_match(out, lowered):
                new = c.regex.sub(c.replace, out)
                if new != out:
                    out, lowered = new, new.lower()
        if out != value:
            self.redacted += 1
        return out

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return self._mapping(value)
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value

    def _mapping(
        self, data: dict[str, Any], protected: AbstractSet[str] = frozenset()
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in protected:
                out[key] = value
                continue
            name = self.sensitive_key(key)
            if name is not None and value is not None:
                out[key] = f"[REDACTED:{name}]"
                self.redacted += 1
            else:
                out[key] = self._value(value)
        return out

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A redacted copy of a wire event; structural fields pass through untouched, but an
        identifier that looks like an email becomes its pseudonym."""
        out = self._mapping(event, PROTECTED_FIELDS)
        for name in PSEUDONYMISED_FIELDS:
            value = out.get(name)
            if isinstance(value, str) and self.looks_like_email(value):
                out[name] = pseudonym(value, self._pseudonym_key)
                self.redacted += 1
        return out

    def payload(self, raw: bytes) -> str:
        """A whole payload redacted, whatever it holds (a rejected line, a dead letter): as JSON
        when it parses (the key rule and the patterns, every value keeping its type), else as
        text: invalid bytes replaced, then the key rule by a linear scan, then the patterns.
        The same as the job's AG_REDACT."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = _NOT_JSON
        if data is not _NOT_JSON:
            try:
                return orjson.dumps(self._value(data)).decode()
            except (TypeError, RecursionError, orjson.JSONEncodeError):
                pass  # deeper than the encoder goes: redacted as text below
        text = raw.decode("utf-8", "replace")
        return self.text(self._keys_in_text(text))

    def _keys_in_text(self, s: str) -> str:
        """The key rule over text that may not parse: each ``"<key>":`` whose key is sensitive
        has its value (a string, or anything up to the next , } or ] outside strings) replaced.
        One pass; the JVM's Redact.redactKeysInText does the same."""
        out: list[str] = []
        n, i, copied = len(s), 0, 0
        while i < n:
            if s[i] != '"':
                i += 1
                continue
            close = _end_of_string(s, i)
            j = close + 1
            while j < n and s[j].isspace():
                j += 1
            if close >= n or j >= n or s[j] != ":" or self.sensitive_key(s[i + 1 : close]) is None:
                i = max(close + 1, i + 1)
                continue
            v = j + 1
            while v < n and s[v].isspace():
                v += 1
            end = _end_of_value(s, v)
            out += [s[copied:v], '"[REDACTED:key]"']
            self.redacted += 1
            copied = i = end
        return s if not out else "".join(out) + s[copied:]


_NOT_JSON = object()


def _end_of_string(s: str, start: int) -> int:
    """The index of the quote closing the string opened at ``start`` (len(s) if none)."""
    k = start + 1
    while k < len(s):
        if s[k] == "\\":
            k += 2
            continue
        if s[k] == '"':
            return k
        k += 1
    return len(s)


def _end_of_value(s: str, v: int) -> int:
    """The index just past a value starting at ``v``: a string, or up to , } ] at depth 0."""
    n = len(s)
    if v < n and s[v] == '"':
        return min(_end_of_string(s, v) + 1, n)
    depth, k = 0, v
    while k < n:
        c = s[k]
        if c == '"':
            k = _end_of_string(s, k) + 1
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            if depth == 0:
                return k
            depth -= 1
        elif c == "," and depth == 0:
            return k
        k += 1
    return n
