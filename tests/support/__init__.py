"""Test helpers and fixture plugins (registered in tests/conftest.py)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout: docs and infra files the tests read
