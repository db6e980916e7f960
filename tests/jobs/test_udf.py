"""The job's JVM functions: built once per version of the sources; redaction rules as passed."""

from __future__ import annotations

import base64
import zipfile

import orjson

from agentgauge.settings import AppSettings
from jobs.udf import java_sources, redaction_spec, udf_jar
from streams.redaction import RedactionConfig


def test_jar_is_built_once_and_holds_the_functions_and_the_lake_format() -> None:
    jar = udf_jar()
    assert jar.is_file() and udf_jar() == jar  # cached by a hash of the sources
    archive = zipfile.ZipFile(jar)
    names = set(archive.namelist())
    src_dir = java_sources()
    for src in src_dir.rglob("*.java"):
        assert src.relative_to(src_dir).with_suffix(".class").as_posix() in names
    # The lake's format is found by Flink's factory discovery through this service file.
    services = archive.read("META-INF/services/org.apache.flink.table.factories.Factory")
    assert services.decode().split() == ["io.agentgauge.flink.LakeLines"]


def test_redaction_spec_carries_every_rule_with_its_prefilter() -> None:
    config = RedactionConfig.load(AppSettings().redaction_file)
    spec = orjson.loads(base64.b64decode(redaction_spec(config)))
    assert spec["keys"] == config.keys
    patterns = spec["patterns"]
    assert [p["token"] for p in patterns] == [f"[REDACTED:{p.kind}]" for p in config.patterns]
    bearer = next(p for p in patterns if p["token"] == "[REDACTED:bearer_token]")
    assert bearer["lower"] is True and bearer["hints"] == ["bearer"]
    card = next(p for p in patterns if p["token"] == "[REDACTED:card_number]")
    assert card["min_digits"] == 13
