"""Properties of the SDK under any sequence of calls, transport failures and closes: every
emitted event is in exactly one count at every moment, and nothing an agent passes raises.

The transport here is a scripted stand-in for Kafka's client (acknowledges, fails, raises,
or holds a send), which is how failures are injected at exact points; the Kafka path itself is
tested against the real broker in test_sdk.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams import Gauge, Settings
from streams.client import Stats
from streams.transport import OnDelivered, OnFailed


class ScriptedTransport:
    """Sends succeed, fail through the callback, raise, or stay unacknowledged, by script."""

    def __init__(self, script: list[str], ok: OnDelivered, fail: OnFailed) -> None:
        self.script = script
        self.ok, self.fail = ok, fail
        self.held: list[Callable[[], None]] = []
        self.n = 0

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        what = self.script[self.n % len(self.script)]
        self.n += 1
        if what == "raise":
            raise RuntimeError("broker said no")
        if what == "fail":
            self.fail(RuntimeError("delivery failed"))
        elif what == "hold":
            self.held.append(self.ok)
        else:
            self.ok()

    def poll(self) -> None:
        while self.held:
            self.held.pop()()

    def flush(self, timeout: float) -> int:
        return len(self.held)

    def close(self, timeout: float) -> None:
        return None


def _event(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "schema_version": "1.0",
        "event_type": "decision",
        "ts": "2026-11-16T09:30:00Z",
        "trace_id": "a" * 32,
        "run_id": "r",
        "workflow": "wf",
        "customer_id": "c",
        "segment": "s",
        **extra,
    }


def _deep(n: int) -> dict[str, Any]:
    d: dict[str, Any] = {}
    cur = d
    for _ in range(n):
        cur["x"] = {}
        cur = cur["x"]
    return d


def _cyclic() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


ODD_VALUES: list[Any] = [
    {1, 2},
    object(),
    math.nan,
    math.inf,
    "x" * 1_000_000,
    b"bytes",
    {1: "int key"},
    [1, [2, [3]]],
    10**30,
]

CALLS = st.one_of(
    st.tuples(st.just("valid"), st.integers(0, 10**6)),
    st.tuples(st.just("invalid"), st.integers(0, 10**6)),
    st.tuples(st.just("odd"), st.sampled_from(range(len(ODD_VALUES)))),
    st.tuples(st.just("deep"), st.sampled_from([10, 60, 300, 3_000])),
    st.tuples(st.just("cyclic"), st.just(0)),
    st.tuples(st.just("not_a_dict"), st.just(0)),
    st.tuples(st.just("run"), st.sampled_from(range(len(ODD_VALUES)))),
    st.tuples(st.just("flush"), st.just(0)),
)


def _holds(s: Stats) -> bool:
    return s.emitted == s.queued + s.sent + s.failed + s.dropped + s.invalid


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    calls=st.lists(CALLS, max_size=40),
    script=st.lists(st.sampled_from(["ok", "fail", "raise", "hold"]), min_size=1, max_size=6),
    queue_size=st.integers(1, 50),
    close_at=st.integers(0, 40),
)
def test_every_event_is_counted_once_and_nothing_raises(
    calls: list[tuple[str, int]], script: list[str], queue_size: int, close_at: int
) -> None:
    gauge = Gauge(
        Settings(queue_size=queue_size, bootstrap_servers="127.0.0.1:1", controls=False),
        transport_factory=lambda: ScriptedTransport(script, gauge._on_delivered, gauge._on_failed),
    )
    try:
        for i, (what, arg) in enumerate(calls):
            if i == close_at:
                gauge.close(0.2)
            if what == "valid":
                gauge.emit(_event(arg))
            elif what == "invalid":
                gauge.emit(_event(arg, event_type="teleport"))
            elif what == "odd":
                gauge.emit(_event(i, extra=ODD_VALUES[arg]))
            elif what == "deep":
                gauge.emit(_event(i, extra=_deep(arg)))
            elif what == "cyclic":
                gauge.emit(_event(i, extra=_cyclic()))
            elif what == "not_a_dict":
                gauge.emit(["not", "an", "event"])  # type: ignore[arg-type]
            elif what == "run":
                with gauge.run(workflow="wf", customer_id="c", segment="s") as run:
                    run.tool_call("t", args=ODD_VALUES[arg])
                    run.tool_call("t", args=_cyclic())
                    run.model_call("m", cost_usd=ODD_VALUES[arg])  # type: ignore[arg-type]
                    run.error("other", message=ODD_VALUES[arg])  # type: ignore[arg-type]
            else:
                gauge.flush(0.05)
            assert _holds(gauge.stats()), gauge.stats()
        gauge.flush(1.0)
        assert _holds(gauge.stats()), gauge.stats()
    finally:
        gauge.close(0.5)
    final = gauge.stats()
    assert _holds(final) and final.queued == 0, final
