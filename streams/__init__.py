"""agentgauge emitter SDK: ``Gauge`` sends contract-v1 agent events to Kafka."""

from streams.client import Gauge, Stats
from streams.contract import ContractError, validate_event
from streams.run import Run
from streams.settings import Settings, load_settings

__all__ = ["ContractError", "Gauge", "Run", "Settings", "Stats", "load_settings", "validate_event"]
