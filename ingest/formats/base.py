"""The contract every format module keeps, and the registry of formats.

A format module (one per log format, like fsspec's implementations or tbparse's
readers) defines a module-level object ``FORMAT`` with:

- ``name``: a short stable name ("tensorboard", "lightning_csv", ...).
- ``summary``: one line for humans ("TensorBoard event files (*tfevents*)").
- ``version``: a short string, bumped whenever the reader changes what it returns
  (it keys the ingest cache, so older cached reads are not served).
- ``sniff(path: str, head: bytes) -> bool``: whether one file is of this format,
  judged from its name and its first bytes (``head`` is at most 4 KiB).
- ``find_runs(folder: str, files: list[str], subdirs: list[str], root: str)
  -> Found | None``: called by discovery for every folder it visits; returns the
  runs that live here and which sub-folders they consume (so discovery does not
  descend into them), or None.
- ``read(source: RunSource, path: str, state: dict | None) -> FileRead``: read
  one file of a run. With the ``state`` of an earlier read, return only what was
  appended since (the reader may re-read everything if the format can't append).
  Never raises for bad content: problems go into ``errors``/``warnings`` with the
  file's name and what to do.

``state`` is opaque to the caller; what the caller acts on is typed on the result:
``FileRead.reset`` (the file was read again from its start: the result replaces what
was read from it before) and ``FileRead.tail_warning`` (the one warning about the
file's unfinished end, which holds only until the next read).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from curvedoc.ingest.model import FileRead, RunSource


@dataclass
class Found:
    """Runs found in one folder by one format."""

    runs: list[RunSource] = field(default_factory=list)
    #: sub-folder names (relative to the folder) that belong to these runs
    consumed_dirs: set[str] = field(default_factory=set)
    #: file names (relative to the folder) that belong to these runs
    consumed_files: set[str] = field(default_factory=set)


class Format(Protocol):
    """What discovery, reading and the cache rely on in a format object (see above)."""

    name: str
    summary: str
    version: str

    def sniff(self, path: str, head: bytes) -> bool: ...

    def find_runs(
        self, folder: str, files: list[str], subdirs: list[str], root: str
    ) -> Found | None: ...

    def read(self, source: RunSource, path: str, state: dict[str, Any] | None) -> FileRead: ...


#: Format modules, in the order discovery asks them (most specific first).
FORMAT_MODULES = (
    "tensorboard",
    "mlflow_file",
    "mlflow_sqlite",
    "hf_trainer_state",
    "lightning_csv",
    "csv_table",
    "jsonl",
)

_loaded: dict[str, Format] | None = None


def formats() -> dict[str, Format]:
    """name -> format object, in discovery order."""
    global _loaded
    if _loaded is None:
        loaded: dict[str, Format] = {}
        for mod in FORMAT_MODULES:
            fmt = importlib.import_module(f"curvedoc.ingest.formats.{mod}").FORMAT
            loaded[fmt.name] = fmt
        _loaded = loaded
    return _loaded


def get_format(name: str) -> Format:
    try:
        return formats()[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(formats())}") from None
