"""One active router per ledger: an exclusive ``flock`` on ``<alerts_dir>/router.lock``.

Two routers on one ledger would both deliver an alert that neither has finished yet. The lock
belongs to the process, so the kernel releases it when the router exits or is killed (kill -9
too): no stale lock to clean up. Written by hand because it is a dozen lines of ``fcntl``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from streams.errors import AgentgaugeError


class RouterBusy(AgentgaugeError):
    """Another router holds this ledger."""


class RouterLock:
    def __init__(self, alerts_dir: Path, group_id: str) -> None:
        self.path = alerts_dir / "router.lock"
        self.group_id = group_id
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Hold the lock, or raise :class:`RouterBusy` naming the router that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise RouterBusy(
                f"another alert router is active on this ledger ({holder}; lock {self.path}):"
                " only one router per ledger delivers, or alerts not yet finished would be sent"
                " twice. Stop that router first, or give this one a ledger of its own"
                " (AGENTGAUGE_ALERTS_DIR) for another alerts topic"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, group {self.group_id}\n")
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(0)
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
