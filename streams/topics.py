"""Idempotent topic creation."""

from __future__ import annotations

import contextlib

from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings


def wanted_topics(settings: Settings) -> dict[str, int]:
    return {
        settings.topic_events: settings.events_partitions,
        settings.topic_alerts: 1,
        settings.topic_dlq: 1,
    }


def create_topics(settings: Settings) -> dict[str, str]:
    """Create the events, alerts and DLQ topics; returns name -> 'created' | 'exists'."""
    admin = settings.connection().admin()
    try:
        existing = set(admin.list_topics())
        result: dict[str, str] = {}
        for name, partitions in wanted_topics(settings).items():
            if name in existing:
                result[name] = "exists"
                continue
            try:
                admin.create_topics([NewTopic(name, partitions, 1)])
                result[name] = "created"
            except TopicAlreadyExistsError:
                result[name] = "exists"
        return result
    finally:
        with contextlib.suppress(Exception):
            admin.close()
