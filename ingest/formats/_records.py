"""Rows of JSON-like records (dicts of numbers) to the long frame, column by column.

Shared by the JSON-lines and Hugging Face readers. A record is a flat dict (nested
objects flattened with "/"); the step is the first step-like key it has; numbers
and "nan"/"inf" strings are metrics; booleans and text are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.formats import _tabular as tab

FLOAT_TEXT = {"nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
              "-inf": -math.inf, "infinity": math.inf, "-infinity": -math.inf}


#: Nesting deeper than this is not a metrics record (its deeper keys are left out).
MAX_DEPTH = 32


def flatten(obj: dict[str, Any], prefix: str = "", out: dict | None = None) -> dict[str, Any]:
    """A nested object as one flat dict, nested keys joined with "/".

    Iterative, so no nesting depth can exhaust the stack; objects nested deeper than
    ``MAX_DEPTH`` are left out (no real metrics record nests that deep).
    """
    out = {} if out is None else out
    stack: list[tuple[str, dict, int]] = [(prefix, obj, 0)]
    while stack:
        base, node, depth = stack.pop()
        nested = []
        for key, value in node.items():
            if type(value) is dict:
                if depth < MAX_DEPTH:
                    nested.append((f"{base}{key}/", value, depth + 1))
            else:
                out[f"{base}{key}"] = value
        stack.extend(reversed(nested))
    return out


def as_number(value: Any) -> float | None:
    """A metric value as float (numbers and nan/inf strings), else None.

    An integer too large for a float (a 400-digit number) is not a usable metric: None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str):
        return FLOAT_TEXT.get(value.strip().lower())
    return None


def step_value(value: Any) -> int | float | None:
    """A step as written: an exact int, a finite float, or None (bool, text, nan, inf)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def step_of(fields: dict[str, Any]) -> int | float | None:
    """The step of a flattened record: the first step-like key with a finite number."""
    for key in tab.STEP_KEYS:
        number = step_value(fields.get(key))
        if number is not None:
            return number
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


@dataclass
class RecordsFrame:
    """What :func:`records_to_frame` made of some records, and what it had to leave out."""

    frame: pd.DataFrame
    stepless: list[int]  # line numbers of records without a step
    huge_step: list[int]  # line numbers of records whose step is beyond int64
    fractional: bool  # some steps were cut to whole numbers
    unusable: dict[str, list[int]]  # key -> line numbers of numbers no float can hold


def records_to_frame(records: list[dict], numbers: np.ndarray, nan_logged: bool) -> RecordsFrame:
    """Flattened records -> the long frame, with the line numbers of what was left out.

    The step is read exactly (an int stays an int, never through a float); one beyond
    int64 is left out and named. Without a logged NaN in the text a NaN cell can only mean
    "key absent"; otherwise which keys each record has is checked explicitly, so logged
    NaNs are kept. Every decision is made record by record, so reading records in pieces
    gives what reading them at once gives.
    """
    numbers = np.asarray(numbers)
    if not records:
        return RecordsFrame(tab.empty(), [], [], False, {})
    steps = tab.parse_steps(step_of(r) for r in records)
    has_step = steps.ok
    stepless = numbers[~steps.ok & ~steps.out_of_range].tolist()
    huge = numbers[steps.out_of_range].tolist()
    if not has_step.any():
        return RecordsFrame(tab.empty(), stepless, huge, steps.fractional, {})
    kept = [r for r, ok in zip(records, has_step.tolist(), strict=True) if ok]
    kept_numbers = numbers[has_step]
    safe = _safe(kept)
    wide = pd.DataFrame.from_records(safe)
    presence = (
        pd.DataFrame.from_records(
            [{k: v is not None for k, v in r.items()} for r in safe], columns=wide.columns
        ).fillna(False).to_numpy(dtype=bool)
        if nan_logged
        else None
    )
    unusable = {}
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
        columns[str(key)] = (values, present)
    for key, rows in _too_big(kept).items():
        unusable[key] = kept_numbers[rows].tolist()
    frame = tab.long_frame(steps.values[has_step], columns, wall)
    return RecordsFrame(frame, stepless, huge, steps.fractional, unusable)


def _safe(records: list[dict]) -> list[dict]:
    """Records whose int values all fit a float (a 400-digit int would stop pandas)."""
    if not any(_has_huge_int(r) for r in records):
        return records
    return [{k: (None if _huge(v) else v) for k, v in r.items()} for r in records]


def _huge(value: Any) -> bool:
    return type(value) is int and not -_FLOAT_INT < value < _FLOAT_INT


def _has_huge_int(record: dict) -> bool:
    return any(_huge(v) for v in record.values())


def _too_big(records: list[dict]) -> dict[str, list[int]]:
    """key -> indexes of records where the key holds an int no float can hold."""
    out: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        for key, value in record.items():
            if key not in tab.STEP_KEYS and _huge(value):
                out.setdefault(key, []).append(i)
    return out


#: Ints at or beyond this have no float64 (float() raises OverflowError).
_FLOAT_INT = 1 << 1024
