"""The published warehouse: the file readers open, replaced whole once a write has finished.

DuckDB lets one process write a file and nobody else open it meanwhile, not even read-only
(``Could not set lock on file``), and a backfill writes for minutes. So writers work on a file of
their own (:func:`work_path`, beside the published one) and :func:`publish` copies it, after a
checkpoint and under the writer's lock, to a temporary name that is then renamed over the
published file. A reader that has the old file open keeps reading it (the rename does not touch
its inode); the next one opens the new file. Readers never wait and never see half a write.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential


def work_path(published: Path) -> Path:
    """``warehouse/agentgauge.duckdb`` -> ``warehouse/agentgauge.work.duckdb``."""
    return published.with_name(f"{published.stem}.work{published.suffix}")


@retry(
    retry=retry_if_exception_type(duckdb.IOException),
    wait=wait_exponential(multiplier=0.05, max=2),
    stop=stop_after_delay(600),
    reraise=True,
)
def connect_writer(work: Path) -> duckdb.DuckDBPyConnection:
    """The work file, opened for writing; another writer (a Dagster run, ``alerts ack``) may
    hold its lock for minutes, so this waits for it (up to 10 minutes)."""
    return duckdb.connect(str(work))


def ensure_work(work: Path, published: Path) -> None:
    """A warehouse published before writers had a file of their own becomes the work file."""
    if not work.exists() and published.exists():
        work.parent.mkdir(parents=True, exist_ok=True)
        tmp = work.with_name(f".{work.name}.{os.getpid()}.tmp")
        shutil.copyfile(published, tmp)
        os.replace(tmp, work)


def publish(work: Path, published: Path) -> None:
    """Replace ``published`` with a consistent copy of ``work`` (a no-op without ``work``)."""
    if not work.exists():
        return
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    with connect_writer(work) as conn:  # holding the lock: nobody writes while we copy
        conn.execute("CHECKPOINT")
        shutil.copyfile(work, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    # A write-ahead log beside the published name (from before writers had their own file)
    # would be replayed into the new copy by the next reader: it belongs to no file now.
    Path(f"{published}.wal").unlink(missing_ok=True)
    os.replace(tmp, published)
