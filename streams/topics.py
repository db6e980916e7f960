"""Idempotent topic creation."""

from __future__ import annotations

import contextlib

from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings

# The control topic keeps the newest record of each breaker for good: a process that starts
# later must learn what is open now.
_CONFIGS = {"compacted": {"cleanup.policy": "compact"}}


def wanted_topics(settings: Settings) -> dict[str, int]:
    return {
        settings.topic_events: settings.events_partitions,
        settings.topic_alerts: 1,
        settings.topic_dlq: 1,
        settings.topic_controls: 1,
    }


def create_topics(settings: Settings) -> dict[str, str]:
    """Create the events, alerts, DLQ and control topics; returns name -> 'created' | 'exists'."""
    admin = settings.connection().admin()
    try:
        existing = set(admin.list_topics())
        result: dict[str, str] = {}
        for name, partitions in wanted_topics(settings).items():
            if name in existing:
                result[name] = "exists"
                continue
            try:
                configs = _CONFIGS["compacted"] if name == settings.topic_controls else {}
                admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
                result[name] = "created"
            except TopicAlreadyExistsError:
                result[name] = "exists"
        return result
    finally:
        with contextlib.suppress(Exception):
            admin.close()
