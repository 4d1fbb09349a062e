"""Ray Tune trial folders: ``<experiment>/<trial>/result.json`` (or ``progress.csv``).

A trial folder holds ``params.json`` (the trial's config: hparams, nested keys flattened
with "/"), ``result.json`` (one JSON object per ``tune.report``), ``progress.csv`` (the
same rows, flattened) and Ray's own TensorBoard copy of them (``events.out.tfevents.*``,
tags ``ray/tune/<metric>``), which is not read a second time. The step is
``training_iteration``; a row's ``timestamp`` is its wall time; Ray's bookkeeping
(``time_this_iter_s``, ``pid``, ``done``, ``config/…`` ...) is not a curve. The run is the
trial folder and the experiment folder holding the trials is their group.

``result.json`` only grows: a re-read reads the lines appended since. ``progress.csv`` is
read only when there is no ``result.json``.
"""

from __future__ import annotations

import json
import math
import posixpath
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import as_number, flatten
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

PARAMS = "params.json"
RESULT = "result.json"
PROGRESS = "progress.csv"
STEP = "training_iteration"
#: Numbers Ray adds to every row that are not curves of the training.
BOOKKEEPING = frozenset({
    STEP, "timestamp", "time_this_iter_s", "time_total_s", "time_since_restore",
    "iterations_since_restore", "timesteps_since_restore", "timesteps_total", "pid",
    "done", "episodes_total", "warmup_time",
})
#: Ray's own files in a trial folder that hold nothing more than ``result.json``.
OWN_FILES = frozenset({PARAMS, "params.pkl", RESULT, PROGRESS})


def is_trial_folder(files: list[str]) -> bool:
    return PARAMS in files and (RESULT in files or PROGRESS in files)


def is_event_copy(name: str) -> bool:
    """Ray's TensorBoard copy of the results (its TBXLoggerCallback's file)."""
    return name.startswith("events.out.tfevents.")


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Result rows (flattened) -> the long frame; rows without a step are left out."""
    steps, walls = [], []
    columns: dict[str, dict[int, float]] = {}
    for row in rows:
        step = as_number(row.get(STEP))
        if step is None or not math.isfinite(step):
            continue
        index = len(steps)
        steps.append(int(step))
        wall = as_number(row.get("timestamp"))
        walls.append(math.nan if wall is None else wall)
        for key, value in row.items():
            if key in BOOKKEEPING or key.startswith("config/") or isinstance(value, bool):
                continue
            number = as_number(value)
            if number is not None:
                columns.setdefault(key, {})[index] = number
    wide = tab.sparse_columns(columns, len(steps))
    return tab.long_frame(np.asarray(steps, dtype=np.int64), wide, np.asarray(walls))


def params_of(folder: str) -> dict[str, Any]:
    text = tab.read_text(tab.join(folder, PARAMS))
    try:
        params = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(params, dict):
        return {}
    flat = flatten(params)
    return {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))}


class RayTune:
    name = "ray_tune"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "Ray Tune trials (<experiment>/<trial>/result.json or progress.csv + params.json)"

    def sniff(self, path: str, head: bytes) -> bool:
        """``result.json`` or ``progress.csv`` that names ``training_iteration``."""
        return tab.base_name(path) in (RESULT, PROGRESS) and STEP.encode() in head

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if not is_trial_folder(files):
            return None
        main = RESULT if RESULT in files else PROGRESS
        run = tab.folder_run(self.name, folder, root, (tab.join(folder, main),))
        copies = {name for name in files if is_event_copy(name)}
        return Found(runs=[run], consumed_files=(OWN_FILES & set(files)) | copies)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.unchanged(path, state):
            return FileRead(scalars=tab.empty(), state=dict(state or {}))
        folder = posixpath.dirname(path)
        hparams = params_of(folder)
        if tab.base_name(path) == PROGRESS:
            return self._read_progress(path, hparams, state)
        rows, bad = [], []
        try:
            chunk = tab.read_appended(path, state)
            for block in chunk.blocks():  # complete lines only: a half-written one waits
                for number, line in enumerate(block.lines, block.first_line):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except (ValueError, RecursionError):
                        obj = None
                    if isinstance(obj, dict):
                        rows.append(flatten(obj))
                    else:
                        bad.append(number)
        except OSError as exc:
            return tab.failed(path, f"cannot be read ({exc}); check that it exists and is readable")
        warnings = []
        if bad:
            warnings.append(f"{path}: skipped line {tab.show_lines(bad)}: not a JSON object; "
                            "the other lines were read")
        tail = tab.tail_warning(chunk)
        return FileRead(scalars=rows_frame(rows), hparams=hparams,
                        warnings=[*warnings, *([tail] if tail else [])],
                        state=tab.chunk_state(chunk), reset=chunk.reset, tail_warning=tail)

    def _read_progress(self, path: str, hparams: dict, state: dict | None) -> FileRead:
        try:
            st = fs.stat(path)
            with fs.open_binary(path, 0) as fh:
                table = pd.read_csv(fh, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            return tab.failed(path, f"cannot be read as a table ({exc}); if Ray is still "
                                    "writing it, refresh later")
        rows = table.to_dict("records")
        for row in rows:
            for key, value in row.items():
                row[key] = _cell(value)
        return FileRead(scalars=rows_frame(rows), hparams=hparams,
                        state={"size": st.size, "mtime": st.mtime}, reset=bool(state))


def _cell(text: str) -> Any:
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text)
    except ValueError:
        return text


FORMAT = RayTune()
