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
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

ALWAYS_SUFFIXES = (".jsonl", ".ndjson")
#: How many leading lines sniffing looks at for a metrics record.
SNIFF_LINES = 3
FLOAT_TEXT = {"nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
              "-inf": -math.inf, "infinity": math.inf, "-infinity": -math.inf}


def flatten(obj: dict[str, Any], prefix: str = "", out: dict | None = None) -> dict[str, Any]:
    """A nested object as one flat dict, nested keys joined with "/"."""
    out = {} if out is None else out
    for key, value in obj.items():
        if type(value) is dict:
            flatten(value, f"{prefix}{key}/", out)
        else:
            out[f"{prefix}{key}"] = value
    return out


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

    All lines are first parsed in one call (as one JSON array); when that fails, one by one.
    """
    records: list[Any] = []
    if texts:
        try:
            records = json.loads("[" + ",".join(line for _, line in texts) + "]")
        except ValueError:
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
    except ValueError:
        return None


def numeric_column(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(float64 values, has-a-number mask, NaN-cell mask) of a column of JSON values.

    A NaN cell is either a logged NaN or a key the record did not have: the caller
    decides. None when the column holds no numbers at all (text, booleans).
    """
    if column.dtype.kind in "fiu":
        values = column.to_numpy(dtype=np.float64)
        is_nan = np.isnan(values)
        return values, ~is_nan, is_nan
    if column.dtype.kind == "b":
        return None
    cells = column.to_numpy(dtype=object)
    is_nan = np.array([isinstance(c, float) and math.isnan(c) for c in cells], dtype=bool)
    numbers = [None if nan else as_number(c) for c, nan in zip(cells, is_nan, strict=True)]
    present = np.array([number is not None for number in numbers], dtype=bool)
    if not present.any() and not is_nan.all():
        return None
    values = np.array([math.nan if n is None else n for n in numbers], dtype=np.float64)
    return values, present, is_nan


def records_to_frame(
    records: list[dict], numbers: np.ndarray, nan_logged: bool
) -> tuple[pd.DataFrame, list[int], bool]:
    """Flattened records -> (long frame, line numbers without a step, fractional steps?).

    Without a logged NaN in the text a NaN cell can only mean "key absent"; otherwise
    which keys each record has is checked explicitly, so logged NaNs are kept.
    """
    if not records:
        return tab.empty(), [], False
    wide = pd.DataFrame.from_records(records)
    presence = (
        pd.DataFrame.from_records(
            [{k: v is not None for k, v in r.items()} for r in records], columns=wide.columns
        ).fillna(False).to_numpy(dtype=bool)
        if nan_logged
        else None
    )
    step = np.full(len(wide), np.nan)
    for key in tab.STEP_KEYS:
        if key in wide.columns:
            parsed = numeric_column(wide[key])
            if parsed is not None:
                values = np.where(parsed[1] & np.isfinite(parsed[0]), parsed[0], np.nan)
                step = np.where(np.isnan(step), values, step)
    has_step = ~np.isnan(step)
    stepless = numbers[~has_step].tolist()
    fractional = bool(np.any(step[has_step] != np.floor(step[has_step])))
    wall = np.full(len(wide), np.nan)
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for j, key in enumerate(wide.columns):
        if key in tab.STEP_KEYS:
            continue
        parsed = numeric_column(wide[key])
        if parsed is None:
            continue
        values, present, is_nan = parsed
        if str(key).lower() in tab.TIME_KEYS:
            seconds = np.where(values > 1e8, values, np.nan)
            seconds = np.where(values > 1e11, values / 1000.0, seconds)
            wall = np.where(np.isnan(wall), seconds, wall)
            continue
        if presence is not None:
            present = present | (is_nan & presence[:, j])
        if not present.any():
            continue
        columns[str(key)] = (values[has_step], present[has_step])
    steps = np.floor(step[has_step]).astype(np.int64)
    return tab.long_frame(steps, columns, wall[has_step]), stepless, fractional


class JSONLines:
    name = "jsonl"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
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
        for line in complete[:SNIFF_LINES]:
            fields = parse_line(line)
            if fields is None:
                # a line longer than the head: trust the suffix of a JSON-lines file
                return len(lines) == 1 and lower.endswith(ALWAYS_SUFFIXES) and line[:1] == "{"
            if "log_history" in fields:
                return False
            if is_metrics_record(fields):
                return True
        return False

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
        texts = [(n, line) for n, line in enumerate(chunk.lines, chunk.first_line) if line.strip()]
        records, numbers, bad = parse_lines(texts)
        tail_fields = parse_line(chunk.tail) if chunk.tail.strip() else None
        if tail_fields is not None:
            records.append(tail_fields)
            numbers.append(chunk.first_line + len(chunk.lines))
        nan_logged = "nan" in "\n".join([chunk.tail, *(line for _, line in texts)]).lower()
        frame, stepless, fractional = records_to_frame(records, np.asarray(numbers), nan_logged)
        tags = len(frame)

        warnings = []
        if bad:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(bad)}: not a JSON object; the other "
                "lines were read (fix or remove the broken lines)"
            )
        # a first line of metadata (config, environment) is normal; later ones are not
        shown = stepless[1:] if stepless[:1] == [1] else stepless
        if shown:
            warnings.append(
                f"{path}: skipped line {tab.show_lines(shown)}: no step key "
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
            scalars=frame,
            warnings=warnings,
            errors=errors,
            state=state_out,
        )


FORMAT = JSONLines()
