"""Find the newest completed checkpoint or savepoint to resume from, and check that it fits."""

from __future__ import annotations

from pathlib import Path

from jobs.config import JobConfig
from streams.errors import AgentgaugeError

# The layout of the job's state: its stateful operators and the types they keep. Bump it with any
# change Flink cannot restore across (a stateful operator added, removed or reordered in
# sql/flink, a changed accumulator of a function in jobs/jvm). A start on saved state of another
# layout then stops and names the way out (`jobs start --fresh`); without the check, Flink maps
# the old state onto the new operators and restarts forever on a StateMigrationException.
# tests/jobs/test_state_layout.py fails when those change without a bump.
# 2: AG_RUN_STATE keeps its sets in its accumulator (RAW fields) instead of MapViews.
# 3: the windowed rules' history, the token and time budgets.
# 4: event ids in two generations (the dedup horizon); the job runs as a compiled plan, whose
#    operator ids are the plan's.
STATE_LAYOUT = 4
LAYOUT_FILE = "agentgauge-state-layout"
UNRECORDED_LAYOUT = "1"  # state saved before layouts were recorded
FRESH_START_FILE = "agentgauge-fresh-start"  # state saved before a `--fresh` start is superseded


class StateLayoutError(AgentgaugeError):
    """The saved state was written by a version of the job with another state layout."""


def restore_points(config: JobConfig) -> list[Path]:
    """Completed checkpoints (chk-N with _metadata) and savepoints, newest first; none saved
    before the last `--fresh` start (its job ran from empty state, so they are not its past)."""
    found: list[Path] = []
    for root in (config.checkpoint_dir, config.checkpoint_dir.parent / "savepoints"):
        if root.exists():
            found += [m.parent for m in root.glob("*/*/_metadata")]
            found += [m.parent for m in root.glob("*/_metadata")]
    fresh = config.checkpoint_dir / FRESH_START_FILE
    since = fresh.stat().st_mtime if fresh.is_file() else 0.0
    saved = {p: (p / "_metadata").stat().st_mtime for p in found}
    return sorted((p for p in saved if saved[p] > since), key=saved.__getitem__, reverse=True)


def mark_fresh_start(config: JobConfig) -> None:
    """Record a `--fresh` start: later starts no longer resume from state saved before it."""
    config.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (config.checkpoint_dir / FRESH_START_FILE).touch()


def latest_restore_point(config: JobConfig) -> Path | None:
    points = restore_points(config)
    return points[0] if points else None


def mark_layout(directory: Path) -> None:
    """Record this version's state layout where a job writes its checkpoints or a savepoint."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / LAYOUT_FILE).write_text(f"{STATE_LAYOUT}\n")


def check_layout(point: Path) -> None:
    """Raise unless ``point`` (a checkpoint ``<job>/chk-N`` or a savepoint directory) was written
    with this version's state layout."""
    for marker in (point / LAYOUT_FILE, point.parent / LAYOUT_FILE):
        if marker.is_file():
            found = marker.read_text().strip()
            break
    else:
        found = UNRECORDED_LAYOUT
    if found != str(STATE_LAYOUT):
        raise StateLayoutError(
            does_not_fit(point, f"state layout {found}, this version's is {STATE_LAYOUT}")
        )


def does_not_fit(point: Path, why: str) -> str:
    """What ``jobs start`` reports when the saved state cannot be restored, and the way out."""
    return (
        f"the saved state {point} does not fit this version of the job ({why}); start once with"
        " `agentgauge jobs start --fresh`"
    )
