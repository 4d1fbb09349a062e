"""JSON lines: one object per line with a step-like key and numeric metrics.

Files named ``*.jsonl`` or ``*.ndjson``, or ``*.json``/``*.log``/``*.txt`` whose
content is one JSON object per line. The step is the first of step, global_step,
iteration, iter, epoch that a line has; nested objects are flattened with "/"
(``{"train": {"loss": 1}}`` -> ``train/loss``); non-numeric fields are ignored;
``NaN``/``Infinity`` literals and "nan"/"inf" strings are kept as floats. A time
key (timestamp, wall_time, time, ...) holding a unix time gives the wall time.
A line that is not JSON is skipped with a warning giving its line number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

ALWAYS_SUFFIXES = (".jsonl", ".ndjson")
FLOAT_TEXT = {"nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
              "-inf": -math.inf, "infinity": math.inf, "-infinity": -math.inf}


def flatten(obj: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of a nested object, nested keys joined with "/"."""
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, name + "/")
        else:
            yield name, value


def as_number(value: Any) -> float | None:
    """A metric value as float (numbers and nan/inf strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return FLOAT_TEXT.get(value.strip().lower())
    return None


def step_of(fields: dict[str, Any]) -> float | None:
    """The step of a flattened record: the first step-like key with a finite number."""
    for key in tab.STEP_KEYS:
        number = as_number(fields.get(key))
        if number is not None and math.isfinite(number):
            return number
    return None


def wall_time_of(fields: dict[str, Any]) -> float:
    """Seconds since the epoch from a time key holding a unix time (s or ms), else NaN."""
    for key, value in fields.items():
        if key.lower() in tab.TIME_KEYS:
            number = as_number(value)
            if number is not None and number > 1e11:
                return number / 1000.0
            if number is not None and number > 1e8:
                return number
    return math.nan


def parse_line(line: str) -> dict[str, Any] | None:
    """The flattened object of one line, or None when the line is not a JSON object."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return dict(flatten(obj)) if isinstance(obj, dict) else None


class JSONLines:
    name = "jsonl"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "JSON lines (*.jsonl, *.ndjson, one object per line with a step key)"

    def sniff(self, path: str, head: bytes) -> bool:
        """The first line is a JSON object with a step-like key and a numeric metric."""
        lower = path.lower()
        if not lower.endswith(_plain.JSONL_SUFFIXES) or b"\x00" in head[:1024]:
            return False
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
        first, newline, _ = text.partition("\n")
        fields = parse_line(first)
        if fields is None:
            # a first line longer than the head: trust the suffix of a JSON-lines file
            return not newline and lower.endswith(ALWAYS_SUFFIXES) and first.startswith("{")
        if "log_history" in fields or step_of(fields) is None:
            return False
        return any(
            as_number(value) is not None
            for key, value in fields.items()
            if key not in tab.STEP_KEYS and key.lower() not in tab.TIME_KEYS
        )

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        runs, consumed = _plain.runs_of(self.name, folder, files, subdirs, root)
        return Found(runs=runs, consumed_files=consumed) if runs else None

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), state={**state, "reset": False})
        try:
            chunk = tab.read_appended(path, state)
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        if chunk.offset == 0 and not chunk.lines and not chunk.tail.strip():
            return tab.failed(path, "the file is empty; nothing was logged yet")
        tags: list[str] = []
        steps: list[int] = []
        values: list[float] = []
        walls: list[float] = []
        bad: list[int] = []
        stepless: list[int] = []
        fractional = False

        def take(fields: dict[str, Any], number: int) -> None:
            nonlocal fractional
            step = step_of(fields)
            if step is None:
                stepless.append(number)
                return
            fractional = fractional or step != int(step)
            wall = wall_time_of(fields)
            for key, value in fields.items():
                if key in tab.STEP_KEYS or key.lower() in tab.TIME_KEYS:
                    continue
                number_value = as_number(value)
                if number_value is not None:
                    tags.append(key)
                    steps.append(int(step))
                    values.append(number_value)
                    walls.append(wall)

        for number, line in enumerate(chunk.lines, start=chunk.first_line):
            if not line.strip():
                continue
            fields = parse_line(line)
            if fields is None:
                bad.append(number)
            else:
                take(fields, number)
        tail_fields = parse_line(chunk.tail) if chunk.tail.strip() else None
        if tail_fields is not None:
            take(tail_fields, chunk.first_line + len(chunk.lines))

        warnings = []
        if bad:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(bad)}: not a JSON object; the other "
                "lines were read (fix or remove the broken lines)"
            )
        if stepless:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(stepless)}: no step key "
                f"({', '.join(tab.STEP_KEYS)})"
            )
        if fractional:
            warnings.append(f"{path}: fractional steps were cut to whole numbers")
        state_out = tab.chunk_state(chunk, tail_fields is not None)
        errors: list[str] = []
        if not tags and chunk.offset == 0 and (bad or stepless):
            errors = [
                f"{path}: no line has a step key and a numeric metric; expected JSON lines "
                'like {"step": 1, "loss": 0.5}',
                *warnings,
            ]
            warnings = []
        return FileRead(
            scalars=tab.records_frame(tags, steps, values, walls),
            warnings=warnings,
            errors=errors,
            state=state_out,
        )


FORMAT = JSONLines()
