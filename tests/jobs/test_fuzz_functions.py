"""Fuzz: the job's JVM functions (AG_PARSE_EVENT's checks, AG_REDACT, AG_DEAD_LETTER) and the
SDK's reader and redactor on the same 20,000 generated and mutated payloads. Nothing crashes,
both engines give every payload the same verdict, every output is one valid JSON line when the
input was JSON, and no seeded secret survives either engine."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import orjson
import pytest

from jobs.udf import _flink_lib, redaction_spec, udf_jar
from streams.redaction import RedactionConfig, Redactor
from streams.settings import Settings
from tests.support.fuzz import corpus, sdk_accepts

HARNESS = Path(__file__).parent / "jvm" / "FuzzHarness.java"
MAX_DLQ_CHARS = 65_536


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    javac, java = shutil.which("javac"), shutil.which("java")
    assert javac and java, "JDK 17 (javac, java) is needed"
    classes = tmp_path_factory.mktemp("harness")
    cp = f"{udf_jar()}:{_flink_lib()}/*"
    subprocess.run(
        [javac, "--release", "17", "-nowarn", "-cp", cp, "-d", str(classes), str(HARNESS)],
        check=True,
        capture_output=True,
    )
    return [java, "-Xmx2g", "-cp", f"{classes}:{cp}", "io.agentgauge.flink.FuzzHarness"]


def test_jvm_and_python_agree_on_every_payload(
    harness: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    redactor = Redactor.from_file(settings.redaction_file)
    spec = tmp_path / "spec"
    spec.write_text(redaction_spec(RedactionConfig.load(settings.redaction_file)))
    cases = corpus(seed=13, size=20_000)
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.write_bytes(b"\n".join(base64.b64encode(c.payload) for c in cases) + b"\n")
    done = subprocess.run(
        [*harness, str(spec), str(inp), str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = out.read_text().splitlines()
    fallbacks = int(lines[-1].split("\t")[1])
    rows = [line.split("\t") for line in lines[:-1]]
    assert len(rows) == len(cases)

    crashes: Counter[str] = Counter()
    mismatches: Counter[str] = Counter()
    broken_output: Counter[str] = Counter()
    leaks: Counter[str] = Counter()
    examples: list[str] = []
    for case, (reason_b64, redacted_b64, dead_b64, thrown) in zip(cases, rows, strict=True):
        if thrown != "-":
            crashes[f"{case.kind}:{thrown}"] += 1
            continue
        reason = base64.b64decode(reason_b64).decode()
        jvm_ok = reason == "-"
        py_ok = sdk_accepts(case.payload)
        if jvm_ok != py_ok:
            mismatches[case.kind] += 1
            if len(examples) < 8:
                examples.append(f"{case.kind}: jvm={reason!r} payload={case.payload[:160]!r}")
        redacted = base64.b64decode(redacted_b64)
        dead = base64.b64decode(dead_b64).decode("utf-8")
        parses = True
        try:
            orjson.loads(case.payload)
        except orjson.JSONDecodeError:
            parses = False
        if jvm_ok or parses:  # a JSON payload stays JSON, one line of valid UTF-8
            try:
                orjson.loads(redacted)
                assert b"\n" not in redacted and b"\r" not in redacted
            except (orjson.JSONDecodeError, AssertionError):
                broken_output[case.kind] += 1
        if len(dead) > MAX_DLQ_CHARS:
            broken_output[f"{case.kind}:dead_letter_too_long"] += 1
        # Seeded secrets: gone from both engines' outputs.
        if py_ok:
            data = orjson.loads(case.payload)
            py_out = orjson.dumps(redactor.event(data)).decode()
            if case.kind == "pseudonym":  # both engines: the same pseudonym, so joins hold
                assert orjson.loads(redacted) == orjson.loads(py_out)
        else:
            py_out = redactor.payload(case.payload)
        for secret in case.secrets:
            if secret.encode() in redacted or secret in dead:
                leaks[f"jvm:{case.kind}"] += 1
            if secret in py_out:
                leaks[f"python:{case.kind}"] += 1

    kinds = Counter(c.kind for c in cases)
    with capsys.disabled():  # the suite's figures, in the test command's output
        _print_figures(kinds, crashes, mismatches, broken_output, leaks, fallbacks, len(cases))
    assert not crashes, crashes
    assert not broken_output, broken_output
    assert not leaks, leaks
    assert not mismatches, (mismatches, examples)


def _print_figures(
    kinds: Counter[str],
    crashes: Counter[str],
    mismatches: Counter[str],
    broken_output: Counter[str],
    leaks: Counter[str],
    fallbacks: int,
    n: int,
) -> None:
    print(
        f"\nfuzz: {n} payloads ({dict(kinds)}); crashes {sum(crashes.values())};"
        f" verdict mismatches {sum(mismatches.values())} {dict(mismatches)};"
        f" broken outputs {sum(broken_output.values())}; leaks {sum(leaks.values())};"
        f" redaction fallbacks {fallbacks}"
    )
