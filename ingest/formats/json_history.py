"""Metric histories saved as one JSON document (``json.dump(history, f)``).

Three shapes, each common in committed repositories:

- **Lists by metric**: Keras' ``history.history`` and hand-rolled loops' dicts,
  ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``, maybe nested
  (``{"history": {...}}``, ``{"train": {"loss": [...]}, "val": {...}}``: keys joined with
  "/"); in a file named by its metric, a key named only by a phase is that metric of
  that phase (``losses.json`` = ``{"train": [...], "val": [...]}``: ``train_losses``).
  Entry *i* of each list is epoch *i* (an ``epoch`` list of the same length, if there is
  one, gives the epochs instead). A list shorter than the longest, whose length divides
  it (per-epoch validation beside per-batch training), is spread over the longest's axis:
  its entry *i* sits at the end of the *i*-th block; the reader says so in a warning.
- **A list of records**: ``[{"epoch": 1, "train_loss": ..., "val_loss": ...}, ...]``; the
  step is the first step-like key a record has, else the record's place (with a warning).
- **A list of numbers**: ``losses.json`` = ``[0.9, 0.7, ...]``, tagged with the file's stem.

Other top-level numbers and strings (``{"lr": 0.001, "history": {...}}``) become hparams.
The document is read whole and read again whenever it changes (``reset``). A ``.json``
is this format only when its first bytes show such a shape: a metric key before a list of
numbers, a first record with a metric, or a list of numbers; configs are not.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from curvedoc.ingest import roles
from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats._records import as_number, flatten, records_to_frame, step_of
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

#: A history is read whole; none comes near this.
MAX_BYTES = 256 << 20
SUFFIXES = (".json",)
#: ``"name": [ <number>`` in the head: a metric's list of values.
_LIST_OF_NUMBERS = re.compile(rb'"([^"\\]{1,200})"\s*:\s*\[\s*(?:-?[0-9.]|NaN|-?Infinity|"nan")')
#: ``[ { "name": <number>`` in the head: a first record with a number.
_FIRST_RECORD = re.compile(rb'^\s*\[\s*\{(.{0,2000}?)\}', re.DOTALL)
_NUMBER_FIELD = re.compile(rb'"([^"\\]{1,200})"\s*:\s*-?[0-9]')
_NUMBERS = re.compile(rb'^\s*\[\s*-?[0-9.]')


def _is_metric(name: bytes, path: str) -> bool:
    """A key named like a metric, or only by a phase in a file named like one."""
    key = tab.phase_named(name.decode("utf-8", errors="replace"), path)
    return roles.direction(key) is not None


class JSONHistory:
    name = "json_history"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "2"
    summary = "JSON histories: Keras history.history dumps, lists of epoch records"

    def sniff(self, path: str, head: bytes) -> bool:
        """A ``.json`` whose head shows a metric's list of numbers, a first record with a
        metric, or (named like a metric) a bare list of numbers."""
        if not path.lower().endswith(SUFFIXES):
            return False
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text[:1] == b"{":
            return any(_is_metric(m.group(1), path) for m in _LIST_OF_NUMBERS.finditer(text))
        record = _FIRST_RECORD.match(text)
        if record:
            return any(_is_metric(m.group(1), path)
                       for m in _NUMBER_FIELD.finditer(record.group(1)))
        return bool(_NUMBERS.match(text)) and roles.direction(tab.stem(path)) is not None

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root, SUFFIXES)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        raw = whole.raw
        if not raw.strip():
            return tab.failed(path, "the file is empty; nothing was saved yet")
        try:
            doc = json.loads(raw.decode("utf-8-sig", errors="replace"))
        except (ValueError, RecursionError, OverflowError) as exc:
            return tab.failed(path, f"is not valid JSON ({exc}); it may have been cut short "
                                    "while saving — save the history again")
        history = _History(path)
        if isinstance(doc, dict):
            history.of_lists({tab.phase_named(k, path): v for k, v in flatten(doc).items()})
        elif isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
            history.of_records(doc, b"nan" in raw.lower())
        elif isinstance(doc, list):
            history.of_lists({tab.stem(path): doc})
        if not len(history.frame):
            return tab.failed(path, "holds no metric history (lists of numbers by metric, or "
                                    "a list of records with numbers); is this a training log?")
        return FileRead(scalars=history.frame, hparams=history.hparams,
                        warnings=history.warnings, state=whole.state,
                        reset=bool(state))


class _History:
    """What one document holds: the long frame, hparams and warnings."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.frame = tab.empty()
        self.hparams: dict[str, Any] = {}
        self.warnings: list[str] = []

    def of_lists(self, fields: dict[str, Any]) -> None:
        """Lists of numbers by metric, each entry an epoch (or spread, see the module)."""
        lists: dict[str, np.ndarray] = {}
        for key, value in fields.items():
            if isinstance(value, list):
                numbers = [as_number(v) for v in value]
                if value and all(n is not None for n in numbers):
                    lists[key] = np.asarray(numbers, dtype=np.float64)
            elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
                self.hparams[key] = value
        epochs = next((lists.pop(k) for k in list(lists) if k.lower() in ("epoch", "epochs")),
                      None)
        if not lists:
            return
        n = max(len(v) for v in lists.values())
        axis = (epochs.astype(np.int64) if epochs is not None and len(epochs) == n
                and np.all(epochs == np.round(epochs)) else np.arange(n, dtype=np.int64))
        parts, spread, own = tab.Parts(), [], []
        for key, values in lists.items():
            if len(values) == n:
                steps = axis
            elif n % len(values) == 0:
                steps = axis[n // len(values) - 1 :: n // len(values)]
                spread.append(key)
            else:
                steps = np.arange(len(values), dtype=np.int64)
                own.append(key)
            parts.add(tab.long_frame(steps, {key: (values, np.ones(len(values), bool))}))
        self.frame = parts.frame()
        if epochs is None:
            self.warnings.append(f"{self.path}: no epoch list; entry i of each list was read "
                                 "as epoch i (0, 1, 2, ...)")
        if spread:
            self.warnings.append(
                f"{self.path}: {', '.join(spread)} has fewer entries than the longest list "
                f"({n}); each entry was put at the end of its share of that list's steps")
        if own:
            self.warnings.append(
                f"{self.path}: {', '.join(own)} has a length that does not divide the longest "
                f"list's ({n}); its entries were read as steps 0, 1, 2, ... of their own")

    def of_records(self, records: list[dict[str, Any]], nan_logged: bool) -> None:
        """A list of records; without a step key the record's place is its epoch."""
        flat = [flatten(r) for r in records]
        if all(step_of(r) is None for r in flat):
            flat = [{"epoch": i, **r} for i, r in enumerate(flat)]
            self.warnings.append(f"{self.path}: no step or epoch key; record i was read as "
                                 "epoch i (0, 1, 2, ...)")
        result = records_to_frame(flat, np.arange(1, len(flat) + 1), nan_logged)
        self.frame = result.frame
        if result.stepless:
            self.warnings.append(f"{self.path}: skipped record {tab.show_lines(result.stepless)}"
                                 ": no step or epoch key")


FORMAT = JSONHistory()
