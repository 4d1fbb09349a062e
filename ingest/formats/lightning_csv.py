"""PyTorch Lightning ``CSVLogger``: ``<save_dir>/<name>/version_N/metrics.csv``.

The run is the ``version_N`` folder. Rows are sparse: per-step rows
(``train_loss_step``) and per-epoch rows (``val_loss``, ``train_loss_epoch``)
leave each other's cells empty; every row carries ``step`` (and ``epoch``).
Tags are the column names as written. Lightning rewrites the whole file when a new
metric appears (a new header): the reader notices and reads it from the start.

``hparams.yaml`` (written by both the CSV and the TensorBoard logger) is read here too, as
a file of its own: beside ``metrics.csv`` it is a file of this run; beside event files it
joins the TensorBoard run of the folder (``Found.extends``), whose own hparams win.
"""

from __future__ import annotations

import re
from typing import Any

from curvedoc.ingest.formats import _delimited, _yaml
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.formats.base import Found
from curvedoc.ingest.model import FileRead, RunSource

METRICS_FILE = "metrics.csv"
HPARAMS_FILE = "hparams.yaml"
VERSION_FOLDER = re.compile(r"^version_.+$")


def is_lightning_folder(folder: str, files: list[str]) -> bool:
    """A folder holding ``metrics.csv`` named ``version_*`` or with ``hparams.yaml`` beside."""
    return METRICS_FILE in files and (
        bool(VERSION_FOLDER.match(tab.base_name(folder))) or "hparams.yaml" in files
    )


class LightningCSV:
    name = "lightning_csv"
    #: bumped when the reader changes what it returns (keys the ingest cache)
    version = "4"
    summary = "PyTorch Lightning CSVLogger (version_N/metrics.csv + hparams.yaml)"

    def sniff(self, path: str, head: bytes) -> bool:
        """``metrics.csv`` whose header has a ``step`` or ``epoch`` column, or ``hparams.yaml``."""
        if tab.base_name(path) == HPARAMS_FILE:
            return True
        if tab.base_name(path) != METRICS_FILE:
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
        names = {name.lower() for name in _delimited.split_header(first, ",")}
        return bool(names & {"step", "epoch"})

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None:
        side = (tab.join(folder, HPARAMS_FILE),) if HPARAMS_FILE in files else ()
        if is_lightning_folder(folder, files):
            run = tab.folder_run(self.name, folder, root,
                                 (*side, tab.join(folder, METRICS_FILE)))
            return Found(runs=[run], consumed_files={METRICS_FILE, HPARAMS_FILE})
        if side:
            return Found(runs=[tab.folder_run(self.name, folder, root, side)],
                         consumed_files={HPARAMS_FILE}, extends=True)
        return None

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead:
        if tab.base_name(path) == HPARAMS_FILE:
            return _yaml.read_hparams(path, state)
        return _delimited.read_delimited(path, state)


FORMAT = LightningCSV()
