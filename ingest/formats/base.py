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
  -> Found | None``: called by discovery for every folder it visits, with the files no
  earlier format took; returns the runs that live here and which files and sub-folders
  they consume (so later formats do not see them and discovery does not descend), or
  None. A format never needs to know another: discovery (``curvedoc.ingest.identity``)
  merges the runs several formats find for one folder into one run, and keeps ids unique.
- ``read(source: RunSource, path: str, state: dict | None) -> FileRead``: read
  one file of a run. With the ``state`` of an earlier read, return only what was
  appended since (the reader may re-read everything if the format can't append).
  Never raises for bad content: problems go into ``errors``/``warnings`` with the
  file's name and what to do.

- optionally ``attempts(source: RunSource) -> int``: how many runs the source's one log
  file holds one after another (``python train.py >> train.log``); discovery makes a run
  of each (``discover.by_attempt``) and ``read`` then gets sources whose
  ``option("attempt")`` says which one to read ("1", "2", ...). Formats without it are
  read whole, their restarts judged as TensorBoard purges them.

``state`` is opaque to the caller; what the caller acts on is typed on the result:
``FileRead.reset`` (the file was read again from its start: the result replaces what
was read from it before) and ``FileRead.tail_warning`` (the one warning about the
file's unfinished end, which holds only until the next read).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
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
    #: sub-folders whose runs are part of this folder's run (an MLflow run's ``artifacts/``):
    #: discovery walks them and merges what it finds there into the run
    attached_dirs: set[str] = field(default_factory=set)
    #: the runs are loose log files (a CSV, a JSON-lines file), one run per file: when a
    #: folder holds exactly one loose log, discovery makes the folder its run instead
    loose: bool = False
    #: the runs only add files to another format's run of the same folder (Lightning's
    #: ``hparams.yaml`` beside event files); without one they are not runs
    extends: bool = False


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


@dataclass(frozen=True)
class KnownFormat:
    """Where a format lives: a dotted path (``"pkg.module"`` with a ``FORMAT``, or
    ``"pkg.module:OBJECT"``) or the format object itself, and an install hint."""

    target: str | Format
    install: str = ""


#: The formats curvedoc ships, in the order discovery asks them (most specific first): name ->
#: where it lives (like fsspec's ``known_implementations``); a module is imported on first use.
BUILTIN: Mapping[str, KnownFormat] = MappingProxyType({
    name: KnownFormat(f"curvedoc.ingest.formats.{module}")
    for name, module in (
        ("ray_tune", "ray_tune"),  # before tensorboard: a trial's event file is Ray's copy
        ("tensorboard", "tensorboard"),
        ("mlflow_file", "mlflow_file"),
        ("mlflow_sqlite", "mlflow_sqlite"),
        ("hf_trainer_state", "hf_trainer_state"),
        ("wandb", "wandb_offline"),
        ("sacred", "sacred"),
        ("dvclive", "dvclive"),
        ("lightning_csv", "lightning_csv"),
        ("json_history", "json_history"),  # before jsonl: a one-line history is no record
        ("jsonl", "jsonl"),  # before csv_table: a .log of JSON lines is JSON lines
        ("yolo_results_txt", "yolo_results_txt"),  # before csv_table: named, no header
        ("csv_table", "csv_table"),
        ("number_column", "number_column"),  # a file of bare numbers, named by its name
        ("printed_log", "printed_log"),  # last: text a training loop printed
    )
})
_registry: dict[str, KnownFormat] = dict(BUILTIN)
_loaded: dict[str, Format] = {}
_ordered: list = []  # [registry names, formats()] of the last call, rebuilt on any change

#: The known formats (name -> where it lives), in discovery order; read-only: change it with
#: :func:`register_format` and :func:`unregister_format`.
known_formats: Mapping[str, KnownFormat] = MappingProxyType(_registry)


def register_format(
    name: str,
    target: str | Format,
    *,
    before: str | None = None,
    clobber: bool = False,
    install: str = "",
) -> None:
    """Add a format so discovery asks it about every folder, without editing curvedoc.

    ``target`` is the format object or a dotted path to it (``"my_pkg.my_format"`` whose
    module has a ``FORMAT``, or ``"my_pkg.my_format:OBJECT"``); a path is imported on first
    use. Discovery asks formats in order and each file belongs to the first format that
    takes it: ``before`` puts the new format ahead of that known one (the default is just
    before the generic ``csv_table``/``jsonl`` readers, so a specific format wins over them).
    ``install`` is what to tell a user whose import of ``target`` fails.
    Raises ValueError when ``name`` is known and ``clobber`` is False.
    """
    if name in _registry and not clobber:
        raise ValueError(f"format {name!r} is already registered; pass clobber=True to replace it")
    if before is not None and before not in _registry:
        raise KeyError(f"unknown format {before!r}; known: {', '.join(_registry)}")
    entry = KnownFormat(target, install)
    _registry.pop(name, None)
    _loaded.pop(name, None)
    anchor = before or next((n for n in GENERIC if n in _registry), None)
    items = list(_registry.items())
    at = next((i for i, (n, _) in enumerate(items) if n == anchor), len(items))
    items.insert(at, (name, entry))
    _registry.clear()
    _registry.update(items)
    _ordered.clear()


def unregister_format(name: str) -> None:
    """Remove a format from discovery (KeyError when it is not known)."""
    if name not in _registry:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(_registry)}")
    del _registry[name]
    _loaded.pop(name, None)
    _ordered.clear()


@contextmanager
def only_formats(**targets: str | Format) -> Iterator[None]:
    """Within the block, discovery knows exactly these formats (name=target); for tests."""
    saved, saved_loaded = dict(_registry), dict(_loaded)
    _registry.clear()
    _loaded.clear()
    _ordered.clear()
    try:
        for name, target in targets.items():
            _registry[name] = KnownFormat(target)
        yield
    finally:
        _registry.clear()
        _registry.update(saved)
        _loaded.clear()
        _loaded.update(saved_loaded)
        _ordered.clear()


#: The generic readers that take any table or JSON lines: asked last.
GENERIC = ("jsonl", "csv_table")


def load(name: str) -> Format:
    """The format object of a known format, imported on first use.

    Raises KeyError for an unknown name and ImportError (with the install hint) when the
    format's module cannot be imported.
    """
    if name in _loaded:
        return _loaded[name]
    entry = _registry[name]
    target = entry.target
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        try:
            obj = getattr(importlib.import_module(module), attr or "FORMAT")
        except ImportError as exc:
            hint = f"; {entry.install}" if entry.install else ""
            raise ImportError(f"the {name} format cannot be loaded ({exc}){hint}") from exc
    else:
        obj = target
    _loaded[name] = obj
    return obj


def formats() -> dict[str, Format]:
    """name -> format object of every known format that loads, in discovery order.

    A format whose module cannot be imported is left out; :func:`unavailable` says why.
    """
    key = tuple(_registry)
    if _ordered and _ordered[0] == key:
        return _ordered[1]
    found: dict[str, Format] = {}
    for name in _registry:
        try:
            found[name] = load(name)
        except ImportError:
            continue
    _ordered[:] = [key, found]
    return found


def unavailable() -> dict[str, str]:
    """name -> why it cannot be loaded, for each known format whose import fails."""
    problems = {}
    for name in _registry:
        try:
            load(name)
        except ImportError as exc:
            problems[name] = str(exc)
    return problems


def get_format(name: str) -> Format:
    try:
        return load(name)
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(_registry)}") from None
