"""Rows of JSON-like records (dicts of numbers) to the long frame, column by column.

Shared by the JSON-lines and Hugging Face readers. A record is a flat dict (nested
objects flattened with "/"); the step is the first step-like key it has; numbers
and "nan"/"inf" strings are metrics; booleans and text are ignored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.formats import _tabular as tab

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
