"""The code location ``dagster dev`` loads (``./dev dagster``, ``[tool.dagster]``): the one
Definitions of ``dagster_project``, with resources from the application's settings, read when
Dagster loads the definitions (not at import)."""

import dagster as dg

from agentgauge.settings import load_settings
from dagster_project.definitions import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
