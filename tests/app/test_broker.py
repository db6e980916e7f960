"""Embedded broker lifecycle."""

from __future__ import annotations

from pathlib import Path

from agentgauge.local.broker import EmbeddedBroker, metadata_ok
from tests.support.kafka import free_port


def test_start_twice_status_and_clean_stop(tmp_path: Path) -> None:
    b = EmbeddedBroker(tmp_path, free_port())
    first = b.start()
    assert first.ready and first.pid
    again = b.start()  # harmless
    assert again.pid == first.pid
    st = b.status()
    assert st.running and st.ready and (tmp_path / "broker" / "broker.pid").exists()
    assert metadata_ok(f"127.0.0.1:{b.port}")
    assert b.stop() is True
    assert not b.status().running
    assert not (tmp_path / "broker" / "broker.pid").exists()
    assert not metadata_ok(f"127.0.0.1:{b.port}", timeout_s=0.5)
    assert b.stop() is False
    assert "listening on" in (tmp_path / "broker" / "broker.log").read_text()
