"""The one exception root of agentgauge. Every room raises its own subclass of it.

``exit_code`` is what the command line exits with when the error reaches it (one handler in
``agentgauge.cli`` reads it): 1 for a failure, 2 for input or configuration that is wrong.
"""

from __future__ import annotations


class AgentgaugeError(Exception):
    """Base of every error agentgauge raises on purpose."""

    exit_code = 1


class ConfigError(AgentgaugeError):
    """A configuration file, setting or argument is missing or wrong; the message names it."""

    exit_code = 2


class KafkaUnavailable(AgentgaugeError):
    """No Kafka broker answers at the configured bootstrap servers."""


class TopicMissing(AgentgaugeError):
    """A topic the command needs does not exist (``agentgauge topics create`` makes them)."""
