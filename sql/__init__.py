"""The project's SQL, one statement per file: ``sql/<engine>/<name>.sql``.

Loaded through ``importlib.resources``, so a wheel install finds the same files as a checkout.
Engines: ``flink`` (the job, rendered by jobs/sql_render.py), ``duckdb`` (the warehouse, run
with bound parameters), ``sqlite`` (the alert router's ledger). It sits right above
``streams`` (whose error root it uses) and below the rooms that run the statements.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from streams.errors import AgentgaugeError

ENGINES = ("flink", "duckdb", "sqlite")


class SqlMissing(AgentgaugeError):
    """No statement of that name ships with the package (a typo or a broken install)."""


def _dir(engine: str) -> Traversable:
    if engine not in ENGINES:
        raise SqlMissing(f"unknown SQL engine {engine!r}; expected one of {ENGINES}")
    return files(__name__).joinpath(engine)


@cache
def load(engine: str, name: str) -> str:
    """The text of ``sql/<engine>/<name>.sql``."""
    resource = _dir(engine).joinpath(f"{name}.sql")
    if not resource.is_file():
        raise SqlMissing(f"no SQL statement sql/{engine}/{name}.sql")
    return resource.read_text(encoding="utf-8")


def names(engine: str) -> list[str]:
    """Every statement of ``engine``, by name, in file-name order (the job's execution order)."""
    found = sorted(r.name[:-4] for r in _dir(engine).iterdir() if r.name.endswith(".sql"))
    if not found:
        raise SqlMissing(f"no SQL statements in sql/{engine}/")
    return found
