"""The ``agentgauge`` command line (``agentgauge.cli:main``).

One package, one module per command group; every command is registered through
``agentgauge.cli._base.App`` and the groups in one table (``agentgauge.cli._app``).
"""

from __future__ import annotations

import sys
import warnings

# Dagster flags `backfill_policy` (used by the weekly assets) as beta on every import; the CLI's
# users cannot act on it, so it is not printed on each command. Set here, before any command
# module imports the assets.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")


def main() -> None:
    try:
        from agentgauge.cli._app import run
    except ModuleNotFoundError as exc:  # `pip install agentgauge` is the SDK alone
        print(
            f"agentgauge: the command line needs the pipeline extra ({exc.name} is not"
            " installed): pip install 'agentgauge[pipeline]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    run()
