"""agentgauge emitter SDK: ``Gauge`` sends contract-v1 agent events to Kafka."""

from streams.client import Gauge, Stats
from streams.contract import ContractError, validate_event
from streams.errors import AgentgaugeError, BreakerOpen, BudgetExceeded, Halted
from streams.run import Run
from streams.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "AgentgaugeError",
    "BreakerOpen",
    "BudgetExceeded",
    "ContractError",
    "Gauge",
    "Halted",
    "Run",
    "Settings",
    "Stats",
    "__version__",
    "load_settings",
    "validate_event",
]
