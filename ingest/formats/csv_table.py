"""Tables of metrics per epoch or step: Keras CSVLogger, fastai, Ultralytics, any CSV/TSV.

- Keras ``CSVLogger``: first column ``epoch``, then sorted metric names, ``NA`` for
  missing; often named ``training.log``, so the content decides, not the suffix.
- fastai ``history.csv``: ``epoch, train_loss, valid_loss, <metrics>, time`` (mm:ss).
- Ultralytics ``results.csv``: padded names (``  train/box_loss``), ``epoch``, ``lr/pg0``;
  the ``args.yaml`` (YOLOv5: ``opt.yaml``, ``hyp.yaml``) beside it gives the hparams.
- Any CSV/TSV with a ``step``, ``global_step``, ``iteration``, ``iter``, ``epoch`` or ``ep``
  column and numeric metric columns; a column named only by a phase (``train``,
  ``valid``) in a file named by its metric (``losses.csv``) is ``train_losses``.
- A table of metrics without a step column, one row per epoch: Keras' ``history``
  saved with pandas (``pd.DataFrame(history.history).to_csv(...)``, its unnamed index
  first or left out), a hand-written log of ``train_loss,val_loss,...``. At least two
  columns, one a loss or a score by name, and a first row of numbers; a column that sets a
  training up (``batch_size``, ``seed``, ``model``, ...) makes it a sweep's summary, no run.

A column that says which run a row is of (``model``, ``run``, ``fold``, ``seed``, ... see
``_delimited.RUN_KEYS``), holding several values, makes one run of each value:
``results.csv#model=resnet18`` reads only that model's rows.

Up to two lines above the header that hold no separator (a title, ``model_history_log``, or
a blank line) are skipped.

The step comes from step/global_step/iteration/iter, else epoch, else the row's place. Tags are the
column names (stripped of padding). A folder with one such table is the run;
a folder with several holds one run per file (id = the file's relative path).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from curvedoc.ingest.formats import _delimited, _plain, _yaml
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

#: How many first rows of a ``.log``/``.txt`` sniffing looks at for one that fits the header.
SNIFF_ROWS = 5


class CSVTable:
    name = "csv_table"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "8"
    summary = "CSV/TSV tables: Keras CSVLogger (training.log), fastai, Ultralytics, generic"

    def sniff(self, path: str, head: bytes) -> bool:
        """A text header with a step-like column (and, for a ``.log``/``.txt``, a row), or
        a header of metrics whose first row is all numbers.

        Only the header must be clean text: a ragged or damaged first row is the reader's
        to skip (with a warning), so the good rows of a damaged log are kept. A ``.log`` or
        ``.txt`` is a table only when one of its first rows has as many fields as the
        header, or more, with a number for its step.
        """
        if tab.base_name(path) in SETTINGS_FILES:
            return True  # only ever handed over beside a results.csv (find_runs)
        if b"\x00" in head.split(b"\n", 1)[0]:
            return False
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        lines = [line.rstrip("\r") for line in text.split("\n")]
        at = _delimited.header_index(lines, path)  # the first line, or below a title
        if at is None:
            return False
        lines = lines[at:]
        if path.lower().endswith((".csv", ".tsv")):
            return True
        sep = _delimited.guess_separator(lines[0], path)
        names = _delimited.split_header(lines[0], sep)
        at = _delimited.step_column(names)
        if at is None:
            return True  # a table of metrics per epoch: its first row was all numbers
        for line in lines[1:-1][:SNIFF_ROWS]:
            cells = _delimited.split_line(line, sep)
            if len(cells) >= len(names) and tab.cell_step(cells[at]) is not None:
                return True
        return len(lines) <= 2  # a header alone (or with a row still being written)

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        found = _plain.runs_of(self.name, folder, files, subdirs, root)
        if found is None:
            return None
        found.runs = [run for source in found.runs for run in _split(source)]
        settings = [name for name in SETTINGS_FILES if name in files]
        if settings and RESULTS_FILE in found.consumed_files:
            # Ultralytics' settings beside its results.csv: the run's hparams
            paths = tuple(tab.join(folder, name) for name in settings)
            found.runs = [replace(run, files=(*paths, *run.files))
                          if tab.base_name(run.files[0]) == RESULTS_FILE else run
                          for run in found.runs]
            found.consumed_files |= set(settings)
        return found

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.base_name(path) in SETTINGS_FILES:
            return _yaml.read_hparams(path, state)
        column = source.option(RUN_KEY)
        if column is None or source.key is None:
            return _delimited.read_delimited(path, state)
        read = _delimited.read_delimited(path, state, (column, source.key))
        read.hparams[column] = source.key  # what tells this run from the others of its file
        return read


#: Ultralytics' table of results, and the files of settings it writes beside it (YOLOv8+
#: ``args.yaml``; YOLOv5 ``opt.yaml`` and ``hyp.yaml``), read as the run's hparams.
RESULTS_FILE = "results.csv"
SETTINGS_FILES = ("args.yaml", "opt.yaml", "hyp.yaml")
#: The option naming the column that tells the runs of one file apart.
RUN_KEY = "run_key"


def _split(source: RunSource) -> list[RunSource]:
    """One run per value of a log's run-key column (``model``, ``fold``, ``run``, ...), where
    several runs were written to one file: ``results.csv#model=resnet18``; else the file's run."""
    keys = _delimited.run_keys(source.files[0])
    if keys is None:
        return [source]
    column, values = keys
    return [replace(source, id=f"{source.id}#{column}={value}",
                    name=f"{source.name} {column}={value}", key=value,
                    options=((RUN_KEY, column),)) for value in values]


FORMAT = CSVTable()
