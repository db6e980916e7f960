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


class Halted(AgentgaugeError):
    """A run was stopped on purpose: by its own budget (:class:`BudgetExceeded`) or by a breaker
    (:class:`BreakerOpen`). ``scope`` and ``key`` say what was stopped (``run`` and the run id,
    ``customer`` and the customer id, ...), ``limit`` and ``observed`` the numbers when a limit
    was crossed, ``reason`` why, in words."""

    def __init__(
        self,
        reason: str,
        *,
        scope: str,
        key: str,
        limit: float | None = None,
        observed: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scope = scope
        self.key = key
        self.limit = limit
        self.observed = observed


class BudgetExceeded(Halted):
    """A run crossed (or, by ``Run.guard``, would cross) its own budget: cost, tool calls,
    tokens or duration. Every later call on the run raises it again."""


class BreakerOpen(Halted):
    """A breaker is open for the run's customer, workflow or prompt version, or for the run."""
