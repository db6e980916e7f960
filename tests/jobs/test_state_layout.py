"""Nothing that shapes the job's saved state changes without a new ``STATE_LAYOUT``.

Flink keeps an operator's id when a stateful query or a JVM accumulator changes, so old state
*maps* onto the new job, which then restarts forever on a StateMigrationException. The layout
check in ``jobs start`` only helps if the layout is bumped with such changes; this test makes
the bump impossible to forget.
"""

from __future__ import annotations

import hashlib
import re

import sql
from jobs.checkpoints import STATE_LAYOUT
from jobs.udf import java_sources

STATEFUL_SQL = re.compile(r"\b(GROUP BY|OVER|JOIN|DISTINCT|MATCH_RECOGNIZE)\b", re.IGNORECASE)
ACCUMULATOR = re.compile(r"class Acc \{(.*?)\n  \}", re.DOTALL)
# Classes kept whole in RAW accumulator fields (the windowed rules' history): their instance
# fields are state too.
RAW_STATE = ("Detector.java", "Tally.java", "Sketch.java")
FIELD = re.compile(
    r"^\s*public (?!static|final|[\w.]+\()[\w<>, .\[\]]+ \w+( = [^;]+)?;", re.MULTILINE
)

# What the saved state looked like at each layout (sha256 of `state_shape()`).
FINGERPRINTS = {
    2: "bf7596c0e54e1ab00fec853a8e0d2c405c6cdac285c7d2d1075f96c0a363bf71",
    # 3: the windowed rules' history, the token and time budgets
    3: "95726712939a4caa814d4754a277105b4e8deaf3abfad23cdea749e6cab19dc8",
    # 4: event ids in two generations (the dedup horizon); operator ids from the compiled plan
    4: "e8de90880460fa838a3b4cbae22ef87bd3abf1a0ce2e64bfdfa69658895c6994",
}


def _code(text: str, comment: str) -> str:
    """The text without comments and blank lines, whitespace collapsed: reformatting or
    rewording a comment is not a change of state."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL) if comment == "//" else text
    lines = (re.sub(rf"{re.escape(comment)}.*$", "", line) for line in text.splitlines())
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def state_shape() -> str:
    """The stateful SQL statements (templates, so threshold values do not count) and the fields
    of the JVM functions' accumulators."""
    parts = []
    for name in sql.names("flink"):
        code = _code(sql.load("flink", name), "--")
        if STATEFUL_SQL.search(code):
            parts.append(f"{name}.sql\n{code}")
    for f in sorted(java_sources().rglob("*.java")):
        for acc in ACCUMULATOR.findall(f.read_text()):
            parts.append(f"{f.name} Acc\n{_code(acc, '//')}")
        if f.name in RAW_STATE:
            fields = [" ".join(m.group(0).split()) for m in FIELD.finditer(f.read_text())]
            parts.append(f"{f.name} fields\n" + "\n".join(fields))
    return "\n\n".join(parts)


def test_state_shape_changes_only_with_a_new_state_layout() -> None:
    shape = state_shape()
    assert "RunState.java Acc" in shape and "SumCrossing.java Acc" in shape
    assert "Tally.java fields\npublic long trials;" in shape, shape
    assert "12_view_run_state.sql" in shape and "40_view_workflow_windows.sql" in shape
    digest = hashlib.sha256(shape.encode()).hexdigest()
    assert FINGERPRINTS.get(STATE_LAYOUT) == digest, (
        "a stateful statement in sql/flink or an accumulator in jobs/jvm changed. If what the job"
        " keeps in state changed, bump STATE_LAYOUT in jobs/checkpoints.py (saved state then"
        " needs one `jobs start --fresh`: say so in the release note) and record"
        f" FINGERPRINTS[{STATE_LAYOUT + 1}] = {digest!r} here; if not (a rename, an expression"
        f" outside the state), record it as FINGERPRINTS[{STATE_LAYOUT}]"
    )
