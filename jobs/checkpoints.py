"""Find the newest completed checkpoint or savepoint to resume from."""

from __future__ import annotations

from pathlib import Path

from jobs.config import JobConfig


def restore_points(config: JobConfig) -> list[Path]:
    """Completed checkpoints (chk-N with _metadata) and savepoints, newest first."""
    found: list[Path] = []
    for root in (config.checkpoint_dir, config.checkpoint_dir.parent / "savepoints"):
        if root.exists():
            found += [m.parent for m in root.glob("*/*/_metadata")]
            found += [m.parent for m in root.glob("*/_metadata")]
    return sorted(set(found), key=lambda p: (p / "_metadata").stat().st_mtime, reverse=True)


def latest_restore_point(config: JobConfig) -> Path | None:
    points = restore_points(config)
    return points[0] if points else None
