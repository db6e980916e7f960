"""The ``agentgauge`` command line."""

import warnings

# Dagster flags `backfill_policy` (used by the weekly assets) as beta on every import; the CLI's
# users cannot act on it, so it is not printed on each command.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")
