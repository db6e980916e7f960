"""The job's JVM functions (``jobs/jvm``): built into a jar on demand, and their configuration.

Parsing and redaction run in the JVM, once per event: Flink's JSON_VALUE re-parses the payload
on every call (about 30 per event) and Python UDFs are far slower still.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import orjson

from streams.errors import AgentgaugeError
from streams.packaged import packaged_path
from streams.redaction import RedactionConfig

REDACTION_PARAMETER = "agentgauge.redaction"  # ParseEvent.REDACTION_PARAMETER


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


def key_regex(config: RedactionConfig) -> str:
    """The JSON value of any key named (or ending in ``_<name>``) as in the config.

    Group 1 is the key's tail up to the value and is kept by the replacement. (A lookbehind
    would keep the key out of the match too, but is tried at every position of the payload: 50x
    slower on payloads whose hints hit.)
    """
    keys = "|".join(re.escape(k).replace("_", "[_-]") for k in config.keys)
    return (
        r"(?i)((?:" + keys + r')"\s{0,3}:\s{0,3})'
        r'(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false)'
    )


def redaction_spec(config: RedactionConfig) -> str:
    """The rules for ``AG_REDACT`` (base64 JSON, a job parameter): key values first, then each
    pattern in order, each with its prefilters (literals one of which must occur, a minimum run
    of digits). Card numbers are redacted without the Luhn check (stricter than the SDK, never
    looser)."""
    rules = [
        {
            "regex": key_regex(config),
            "token": '"[REDACTED:key]"',
            # The key ends right before its closing quote: 'email"' rarely occurs by chance,
            # 'email' does (and each hit costs a scan with the case-insensitive regex).
            "hints": sorted(
                {f'{v}"' for k in config.keys for v in (k.lower(), k.lower().replace("_", "-"))}
            ),
            "lower": True,
            "keep_group": True,
        }
    ]
    for p in config.patterns:
        ci = p.case_insensitive
        rules.append(
            {
                "regex": p.regex,
                "token": f"[REDACTED:{p.kind}]",
                "hints": [h.lower() if ci else h for h in p.prefilter],
                "lower": ci,
                "keep_group": False,
                "min_digits": p.min_digits,
            }
        )
    return base64.b64encode(orjson.dumps({"rules": rules})).decode()
