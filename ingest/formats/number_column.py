"""A column of numbers, one per line, named by its file or its header line.

``np.savetxt("loss.csv", losses)``: a ``.csv``/``.txt``/``.log`` whose every line is one
number (``1.02e-01``, ``0.35``, ``nan``) and whose file name names a metric
(``loss_history.csv``, ``val_acc.txt``): the tag is the file's stem. Torch7's
``optim.Logger`` writes the same with a header line naming the metric and a tab after
every value (``% mean class accuracy (train set)``): the tag is that name, and the file's
name need not name a metric. Line *i* is epoch *i* (the reader says so in a warning). Such
files of one folder (``train.log`` and ``test.log``; ``train_loss.txt`` and
``val_loss.txt``) are one run, a tag each. A file of numbers that names no metric
(``ids.txt``), or with several numbers to a line (no header to tell them apart), is no
log. The file is read whole and again when it changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from curvedoc.ingest import roles
from curvedoc.ingest.formats import _plain
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

SUFFIXES = (".csv", ".txt", ".log")
#: Read whole; a column of numbers this large is no training log.
MAX_BYTES = 64 << 20
#: Lines the head must hold, all numbers, to be taken for such a file.
MIN_LINES = 3


def _number(line: bytes) -> float | None:
    """A line's one number (nan/inf kept; a separator after it, as Torch7 writes, dropped),
    or None when it is anything else."""
    line = line.strip().rstrip(b"\t,;").strip()
    return tab.cell_number(line.decode("utf-8", errors="replace")) if line else None


def _lines(data: bytes) -> list[bytes]:
    return [line.strip() for line in data.split(b"\n")]


def _header(lines: list[bytes]) -> str | None:
    """The metric a first line names (Torch7's ``% mean class accuracy (train set)``), or
    None where the first line is a number, or names no metric."""
    first = next((line for line in lines if line), b"")
    if not first or _number(first) is not None:
        return None
    name = first.decode("utf-8", errors="replace").strip().rstrip("\t,;").strip()
    return name if name.isprintable() and roles.direction(name) is not None else None


class NumberColumn:
    name = "number_column"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "2"
    summary = ("a column of numbers named by its file or header line (np.savetxt('loss.csv', "
               "...), Torch7's optim.Logger)")

    def sniff(self, path: str, head: bytes) -> bool:
        """Every complete line of the head is one number (after a header line naming a
        metric, or in a file whose name names one)."""
        if not path.lower().endswith(SUFFIXES):
            return False
        lines = _lines(head)
        lines = [line for line in (lines[:-1] if len(lines) > 1 else lines) if line]
        named = _header(lines)
        if named is not None:
            lines = lines[1:]
        elif roles.direction(tab.stem(path)) is None:
            return False
        return len(lines) >= MIN_LINES and all(_number(line) is not None for line in lines)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        found = _plain.runs_of(self.name, folder, files, subdirs, root, SUFFIXES)
        if found is not None and len(found.runs) > 1:
            # one metric to a file: the folder's files are one run, a tag each
            first = found.runs[0]
            found.runs = [replace(first, files=tuple(f for r in found.runs for f in r.files))]
        return found

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        raw = whole.raw
        lines = _lines(raw)
        name = _header(lines)
        tag = tab.stem(path) if name is None else name
        # the header is the first line with text (``_header``), not always line 1
        header_at = next((i for i, line in enumerate(lines, 1) if line), 0) if name else 0
        values, skipped = [], []
        for number, line in enumerate(lines, 1):
            if not line or number == header_at:
                continue
            value = _number(line)
            if value is None:
                skipped.append(number)
            else:
                values.append(value)
        if not values:
            return tab.failed(path, "holds no numbers; expected one number per line")
        steps = np.arange(len(values), dtype=np.int64)
        frame = tab.long_frame(steps, {tag: (np.asarray(values), np.ones(len(values), bool))})
        warnings = [f"{path}: no step column; line i was read as epoch i (0, 1, 2, ...) of "
                    + (f"{tag!r}, named after the file" if name is None else f"{tag!r}")]
        if skipped:
            warnings.append(f"{path}: skipped line {tab.show_lines(skipped)}: not one number")
        return FileRead(scalars=frame, warnings=warnings,
                        state=whole.state, reset=bool(state))


FORMAT = NumberColumn()
