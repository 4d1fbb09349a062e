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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curvedoc.ingest.formats import _openmmlab, _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import as_number, flatten, records_to_frame, step_of
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

ALWAYS_SUFFIXES = (".jsonl", ".ndjson")
#: How many leading lines sniffing looks at for a metrics record.
SNIFF_LINES = 3


#: What a JSON text can raise besides ValueError: nesting deeper than the parser's stack
#: (RecursionError), an integer too long to read (ValueError) or to use (OverflowError).
JSON_ERRORS = (ValueError, RecursionError, OverflowError, MemoryError)


def parse_line(line: str) -> dict[str, Any] | None:
    """The flattened object of one line, or None when the line is not a JSON object."""
    obj = _loads(line)
    return flatten(obj) if isinstance(obj, dict) else None


def is_metrics_record(fields: dict[str, Any]) -> bool:
    """A flattened object with a step and at least one numeric metric."""
    return step_of(fields) is not None and any(
        as_number(value) is not None
        for key, value in fields.items()
        if key not in tab.STEP_KEYS and key.lower() not in tab.TIME_KEYS
    )


def parse_lines(texts: list[tuple[int, str]]) -> tuple[list[dict], list[int], list[int]]:
    """Flattened objects of numbered lines, their line numbers, and the lines that are not.

    All lines are first parsed in one call (as one JSON array); when that fails, one by one,
    so one bad line costs only itself.
    """
    records: list[Any] = []
    if texts:
        try:
            records = json.loads("[" + ",".join(line for _, line in texts) + "]")
        except JSON_ERRORS:
            records = []
    if len(records) != len(texts):
        records = [_loads(line) for _, line in texts]
    good, numbers, bad = [], [], []
    for (number, _), obj in zip(texts, records, strict=True):
        if isinstance(obj, dict):
            good.append(flatten(obj) if dict in map(type, obj.values()) else obj)
            numbers.append(number)
        else:
            bad.append(number)
    return good, numbers, bad


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except JSON_ERRORS:
        return None


class JSONLines:
    name = "jsonl"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "3"
    summary = "JSON lines (*.jsonl, *.ndjson, one object per line with a step key)"

    def sniff(self, path: str, head: bytes) -> bool:
        """One of the first lines is a JSON object with a step-like key and a numeric metric.

        The first line may be a metadata object without a step (mmdetection's env info).
        """
        lower = path.lower()
        if not lower.endswith(_plain.JSONL_SUFFIXES) or b"\x00" in head[:1024]:
            return False
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
        lines = text.split("\n")
        complete = lines[:-1] if len(lines) > 1 else lines
        if len(lines) == 1 and parse_line(lines[0]) is None:
            # a line longer than the head: trust the suffix of a JSON-lines file
            return lower.endswith(ALWAYS_SUFFIXES) and lines[0][:1] == "{"
        for line in complete[:SNIFF_LINES]:
            fields = parse_line(line)
            if fields is None:
                continue  # a damaged line (or one nested too deep) is the reader's to name
            if "log_history" in fields:
                return False
            if is_metrics_record(fields):
                return True
        return False

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), state=dict(state))
        try:
            chunk = tab.read_appended(path, state)
            parts, problems = tab.Parts(), _Problems()
            # OpenMMLab evaluation rows go onto the train rows' axis (see _openmmlab)
            problems.mm = None if chunk.reset else (state or {}).get("mm")
            for block in chunk.blocks():
                parts.add(_block_frame(block, problems))
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        if chunk.offset == 0 and not chunk.last_line and not chunk.tail.strip():
            return tab.failed(path, "the file is empty; nothing was logged yet")
        frame = parts.frame()
        warnings = problems.messages(path)
        tail = tab.tail_warning(chunk)
        errors: list[str] = []
        if not len(frame) and chunk.offset == 0 and (problems.bad or problems.stepless):
            errors = [
                f"{path}: no line has a step key and a numeric metric; expected JSON lines "
                'like {"step": 1, "loss": 0.5}',
                *warnings,
            ]
            warnings, tail = [], None
        return FileRead(
            scalars=frame,
            warnings=[*warnings, *([tail] if tail else [])],
            errors=errors,
            state={**tab.chunk_state(chunk), **({"mm": problems.mm} if problems.mm else {})},
            reset=chunk.reset,
            tail_warning=tail,
        )


@dataclass
class _Problems:
    """Line numbers of each kind of problem, across blocks."""

    bad: list[int] = field(default_factory=list)
    stepless: list[int] = field(default_factory=list)
    huge_step: list[int] = field(default_factory=list)
    fractional: bool = False
    unusable: dict[str, list[int]] = field(default_factory=dict)
    #: what _openmmlab.align carries from block to block (None: not an OpenMMLab log)
    mm: dict[str, Any] | None = None

    def messages(self, path: str) -> list[str]:
        warnings = []
        if self.bad:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(self.bad)}: not a JSON object (or nested "
                "too deep to read); the other lines were read (fix or remove the broken lines)"
            )
        # a first line of metadata (config, environment) is normal; later ones are not
        shown = self.stepless[1:] if self.stepless[:1] == [1] else self.stepless
        if shown:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(shown)}: no step key "
                f"({', '.join(tab.STEP_KEYS)})"
            )
        if self.huge_step:
            warnings.append(tab.out_of_range_warning(path, "step", self.huge_step))
        for key, lines in self.unusable.items():
            warnings.append(
                f"{path}: {key!r} at line {tab.show_lines(lines)} is an integer too large for "
                "a float; those values were skipped"
            )
        if self.fractional:
            warnings.append(f"{path}: fractional steps were cut to whole numbers")
        return warnings


def _block_frame(block: tab.Block, problems: _Problems):
    texts = [(n, line) for n, line in enumerate(block.lines, block.first_line) if line.strip()]
    records, numbers, bad = parse_lines(texts)
    records, problems.mm = _openmmlab.align(records, problems.mm)
    nan_logged = any("nan" in line.lower() for _, line in texts)
    result = records_to_frame(records, np.asarray(numbers, dtype=np.int64), nan_logged)
    problems.bad.extend(bad)
    problems.stepless.extend(result.stepless)
    problems.huge_step.extend(result.huge_step)
    problems.fractional = problems.fractional or result.fractional
    for key, lines in result.unusable.items():
        problems.unusable.setdefault(key, []).extend(lines)
    return result.frame


FORMAT = JSONLines()
