"""The job's JVM functions (``jobs/jvm``): built into a jar on demand, and their configuration.

Parsing and redaction run in the JVM, once per event: Flink's JSON_VALUE re-parses the payload
on every call (about 30 per event) and Python UDFs are far slower still.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import orjson

from streams.errors import AgentgaugeError
from streams.packaged import packaged_path
from streams.redaction import RedactionConfig

REDACTION_PARAMETER = "agentgauge.redaction"  # Redact.REDACTION_PARAMETER
SKEW_PARAMETER = "agentgauge.ts_max_skew_s"  # ParseEvent.SKEW_PARAMETER


class UdfBuildError(AgentgaugeError):
    """javac is missing or the Java sources do not compile."""


def java_sources() -> Path:
    """The directory of the JVM functions' sources (and the service file), shipped in ``jobs``."""
    return packaged_path("jobs", "jvm")


def default_build_dir() -> Path:
    """Where compiled jars are cached: the user's cache directory (the installed package may
    not be writable), one jar per version of the sources."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "agentgauge" / "udf"


def _flink_lib() -> Path:
    import pyflink

    return Path(pyflink.__file__).parent / "lib"


def udf_jar(build_dir: Path | None = None) -> Path:
    """The jar of ``jobs/jvm``, compiled with javac against PyFlink's jars into ``build_dir``
    (once per version of the sources). Files other than ``.java`` (the service file that
    registers the lake format) go into the jar as they are."""
    java_src = java_sources()
    build = build_dir or default_build_dir()
    files = sorted(p for p in java_src.rglob("*") if p.is_file())
    sources = [p for p in files if p.suffix == ".java"]
    digest = hashlib.sha256()
    for src in files:
        digest.update(src.relative_to(java_src).as_posix().encode() + b"\0" + src.read_bytes())
    jar = build / f"agentgauge-flink-udf-{digest.hexdigest()[:12]}.jar"
    if jar.exists():
        return jar
    javac, jar_tool = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar_tool:
        raise UdfBuildError("javac and jar (JDK 17) are needed to build the job's functions")
    build.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build) as tmp:
        classes = Path(tmp) / "classes"
        cmd = [javac, "--release", "17", "-nowarn", "-cp", f"{_flink_lib()}/*", "-d", str(classes)]
        done = subprocess.run([*cmd, *map(str, sources)], capture_output=True, text=True)
        if done.returncode:
            raise UdfBuildError(f"javac failed:\n{done.stderr}")
        for res in files:
            if res.suffix != ".java":
                target = classes / res.relative_to(java_src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(res, target)
        staged = Path(tmp) / jar.name
        subprocess.run(
            [jar_tool, "--create", "--file", str(staged), "-C", str(classes), "."], check=True
        )
        os.replace(staged, jar)  # atomic: a concurrent build never sees half a jar
    return jar


def redaction_spec(config: RedactionConfig) -> str:
    """The rules for ``AG_REDACT`` (base64 JSON, a job parameter): the sensitive key names (the
    JVM normalises them as streams/redaction.py does), then each value pattern in order, each
    with its prefilters (literals one of which must occur, a minimum run of digits). Card
    numbers are redacted without the Luhn check (stricter than the SDK, never looser)."""
    patterns = [
        {
            "regex": p.regex,
            "token": f"[REDACTED:{p.kind}]",
            "hints": [h.lower() if p.case_insensitive else h for h in p.prefilter],
            "lower": p.case_insensitive,
            "min_digits": p.min_digits,
        }
        for p in config.patterns
    ]
    return base64.b64encode(orjson.dumps({"keys": config.keys, "patterns": patterns})).decode()
