"""Tables of metrics per epoch or step: Keras CSVLogger, fastai, Ultralytics, any CSV/TSV.

- Keras ``CSVLogger``: first column ``epoch``, then sorted metric names, ``NA`` for
  missing; often named ``training.log``, so the content decides, not the suffix.
- fastai ``history.csv``: ``epoch, train_loss, valid_loss, <metrics>, time`` (mm:ss).
- Ultralytics ``results.csv``: padded names (``  train/box_loss``), ``epoch``, ``lr/pg0``.
- Any CSV/TSV with a ``step``, ``global_step``, ``iteration``, ``iter`` or ``epoch``
  column and numeric metric columns.

The step comes from step/global_step/iteration/iter, else epoch. Tags are the
column names (stripped of padding). A folder with one such table is the run;
a folder with several holds one run per file (id = the file's relative path).
"""

from __future__ import annotations

from typing import Any

from curvedoc.ingest.formats import _delimited, _plain
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource


class CSVTable:
    name = "csv_table"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "CSV/TSV tables: Keras CSVLogger (training.log), fastai, Ultralytics, generic"

    def sniff(self, path: str, head: bytes) -> bool:
        """A text header with a step-like column, and a first row with as many fields.

        Only the header must be clean text: junk bytes in later rows are the reader's to
        skip (with a warning), so the good rows of a damaged log are kept.
        """
        if b"\x00" in head.split(b"\n", 1)[0]:
            return False
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        lines = [line.rstrip("\r") for line in text.split("\n")]
        if not lines or not _delimited.looks_like_log_header(lines[0], path):
            return False
        if len(lines) > 2 and lines[1].strip():  # a complete first row must match the header
            sep = _delimited.guess_separator(lines[0], path)
            width = len(_delimited.split_header(lines[0], sep))
            return len(_delimited.split_header(lines[1], sep)) == width
        return True

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        return _plain.runs_of(self.name, folder, files, subdirs, root)

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        return _delimited.read_delimited(path, state)


FORMAT = CSVTable()
