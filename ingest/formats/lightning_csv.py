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

import yaml

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _delimited
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
    version = "2"
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
            return read_hparams(path, state)
        return _delimited.read_delimited(path, state)


class _Loader(yaml.SafeLoader):
    """Safe YAML that reads unknown tags (``!!python/object:...``) as plain data."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("", _any_tag)


def read_hparams(path: str, state: dict[str, Any] | None) -> FileRead:
    """``hparams.yaml`` as hparams (no scalars); a broken file is a warning, not an error."""
    if tab.unchanged(path, state):
        return FileRead(scalars=tab.empty(), state=dict(state or {}))
    try:
        st = fs.stat(path)
        text = fs.read_bytes(path).decode("utf-8", errors="replace")
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return FileRead(scalars=tab.empty(), warnings=[
            f"{path}: cannot read the hyper-parameters ({first}); fix or remove the file"])
    new_state = {"size": st.size, "mtime": st.mtime}
    if data is None:
        return FileRead(scalars=tab.empty(), state=new_state)
    if not isinstance(data, dict):
        return FileRead(scalars=tab.empty(), state=new_state, warnings=[
            f"{path}: expected a mapping of hyper-parameters, found {type(data).__name__}"])
    return FileRead(scalars=tab.empty(), hparams={str(k): v for k, v in data.items()},
                    state=new_state)


FORMAT = LightningCSV()
