"""Shared fixtures come from the plugins in tests/support: one real embedded broker per test
session (no Kafka mocks), settings with topics of their own."""

from __future__ import annotations

import os

os.environ.setdefault("TZ", "UTC")

pytest_plugins = ["tests.support.kafka"]
