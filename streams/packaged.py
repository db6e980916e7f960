"""Files shipped inside agentgauge's packages (config defaults, schemas, JVM sources), found
through ``importlib.resources``: the same in a checkout, an editable install and a wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from streams.errors import AgentgaugeError


class ResourceMissing(AgentgaugeError):
    """A file that should ship with the package is not there (a broken install)."""


def packaged_path(package: str, *parts: str) -> Path:
    """The file-system path of ``parts`` inside ``package``. Packages are installed as plain
    directories (never zipped), so the resource is a real path that javac or DuckDB can read."""
    resource = files(package).joinpath(*parts)
    path = Path(str(resource))
    if not path.exists():
        raise ResourceMissing(f"{'/'.join(parts)} is missing from the {package} package")
    return path


def config_file(name: str) -> Path:
    """A default configuration file of ``streams/config/``."""
    return packaged_path("streams", "config", name)
