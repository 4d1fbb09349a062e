"""PyTorch Lightning ``CSVLogger``: ``<save_dir>/<name>/version_N/metrics.csv``.

The run is the ``version_N`` folder. Rows are sparse: per-step rows
(``train_loss_step``) and per-epoch rows (``val_loss``, ``train_loss_epoch``)
leave each other's cells empty; every row carries ``step`` (and ``epoch``).
Tags are the column names as written. ``hparams.yaml`` beside the file is read
by the ingest core for every format. Lightning rewrites the whole file when a new
metric appears (a new header): the reader notices and reads it from the start.
"""

from __future__ import annotations

import re
from typing import Any

from curvedoc.ingest.formats import _delimited
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

METRICS_FILE = "metrics.csv"
VERSION_FOLDER = re.compile(r"^version_.+$")


def is_lightning_folder(folder: str, files: list[str]) -> bool:
    """A folder holding ``metrics.csv`` named ``version_*`` or with ``hparams.yaml`` beside."""
    return METRICS_FILE in files and (
        bool(VERSION_FOLDER.match(tab.base_name(folder))) or "hparams.yaml" in files
    )


class LightningCSV:
    name = "lightning_csv"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "1"
    summary = "PyTorch Lightning CSVLogger (version_N/metrics.csv + hparams.yaml)"

    def sniff(self, path: str, head: bytes) -> bool:
        """``metrics.csv`` whose header has a ``step`` or ``epoch`` column."""
        if tab.base_name(path) != METRICS_FILE:
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
        names = {name.lower() for name in _delimited.split_header(first, ",")}
        return bool(names & {"step", "epoch"})

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        if not is_lightning_folder(folder, files):
            return None
        run = tab.folder_run(self.name, folder, root, (tab.join(folder, METRICS_FILE),))
        return Found(runs=[run], consumed_files={METRICS_FILE, "hparams.yaml"})

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        return _delimited.read_delimited(path, state)


FORMAT = LightningCSV()
