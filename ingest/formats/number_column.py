"""A column of numbers with no header, named by its file: ``np.savetxt("loss.csv", losses)``.

A ``.csv``/``.txt``/``.log`` whose every line is one number (``1.02e-01``, ``0.35``, ``nan``)
and whose file name names a metric (``loss_history.csv``, ``val_acc.txt``): the tag is the
file's stem, line *i* is epoch *i* (the reader says so in a warning). A file of numbers
whose name names no metric (``ids.txt``), or with several numbers to a line (no header
to tell them apart), is no log. The file is read whole and again when it changes.
"""

from __future__ import annotations

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
    """A line's one number (nan/inf kept), or None when it is anything else."""
    return tab.cell_number(line.decode("utf-8", errors="replace")) if line else None


class NumberColumn:
    name = "number_column"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "a headerless column of numbers named by its file (np.savetxt('loss.csv', ...))"

    def sniff(self, path: str, head: bytes) -> bool:
        """Every complete line of the head is one number, and the file's name names a
        metric."""
        if not path.lower().endswith(SUFFIXES) or roles.direction(tab.stem(path)) is None:
            return False
        lines = head.split(b"\n")
        lines = [line.strip() for line in (lines[:-1] if len(lines) > 1 else lines)]
        lines = [line for line in lines if line]
        return len(lines) >= MIN_LINES and all(_number(line) is not None for line in lines)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root, SUFFIXES)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        whole = tab.read_whole(path, state, MAX_BYTES)
        if isinstance(whole, FileRead):
            return whole
        raw = whole.raw
        lines = [line.strip() for line in raw.split(b"\n")]
        values, skipped = [], []
        for number, line in enumerate(lines, 1):
            if not line:
                continue
            value = _number(line)
            if value is None:
                skipped.append(number)
            else:
                values.append(value)
        if not values:
            return tab.failed(path, "holds no numbers; expected one number per line")
        steps = np.arange(len(values), dtype=np.int64)
        frame = tab.long_frame(steps, {tab.stem(path): (np.asarray(values), np.ones(len(values),
                                                                                 bool))})
        warnings = [f"{path}: no header and no step column; line i was read as epoch i "
                    f"(0, 1, 2, ...) of {tab.stem(path)!r}, named after the file"]
        if skipped:
            warnings.append(f"{path}: skipped line {tab.show_lines(skipped)}: not one number")
        return FileRead(scalars=frame, warnings=warnings,
                        state=whole.state, reset=bool(state))


FORMAT = NumberColumn()
