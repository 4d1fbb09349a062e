"""Read one run: every file with its format (through the cache), merged into one Run.

The pieces are pure functions so that an executor (a process pool, a Dask client) can run
:func:`read_files` anywhere and the caller assembles the Run with :func:`assemble`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.cache import Cache, FileIdent, file_key, grew_from, ident_of
from curvedoc.ingest.cache.ident import stat_of
from curvedoc.ingest.discover import UNKNOWN
from curvedoc.ingest.formats.base import formats
from curvedoc.ingest.frames import (
    FILE_COLUMNS,
    canonical,
    column_dtypes,
    concat,
    later_wins,
    tag_counts,
    with_run,
    without_run,
)
from curvedoc.ingest.merge import merge_parts
from curvedoc.ingest.model import FileRead, Run, RunSource, empty_scalars
from curvedoc.ingest.roles import infer_roles, missing_loss_warning
from curvedoc.ingest.sniff import (
    POINTER_MAX,
    binary_message,
    is_binary,
    is_lfs_pointer,
    lfs_message,
)


@dataclass
class FileResult:
    """One file as read for one run: the stat the read is valid for, and the read.

    ``ident`` (set once the read is back with the caller) tells a later look whether the
    file is still the one that was read (see ``curvedoc.ingest.cache.ident``).
    """

    path: str
    stat: fs.FileStat | None
    read: FileRead
    ident: FileIdent | None = None
    stored: bool = False  # already put in the cache (by the worker that read it)


# -- one file -----------------------------------------------------------------------------


def stat(path: str) -> fs.FileStat:
    """Size, mtime (and for local paths ctime, inode, device) of a file (``os.stat`` for local
    paths: fsspec costs ~0.1 ms a call)."""
    if fs.is_local(path):
        return stat_of(os.stat(path[len("file://"):] if path.startswith("file://") else path))
    return fs.stat(path)


def read_file(source: RunSource, path: str, state: dict | None = None) -> FileResult:
    """Read one file of a run with its format. Never raises: problems become errors."""
    try:
        st = stat(path)
    except FileNotFoundError:
        return _failed(path, f"{path}: the file disappeared after the folder was scanned; "
                             "refresh to read the folder again")
    except OSError as exc:
        return _failed(path, f"{path}: cannot read it ({exc}); check its permissions")
    if st.size < POINTER_MAX:
        try:
            head = fs.read_bytes(path, 0, 64)
        except (fs.NotRegularFile, fs.TooLarge) as exc:
            return _failed(path, str(exc), st)  # the message says what it is and what to do
        except OSError as exc:
            return _failed(path, f"{path}: cannot read it ({exc}); check its permissions", st)
        if is_lfs_pointer(head):
            return _failed(path, lfs_message(path), st)
    part = source.part_of(path)
    fmt = formats().get(part.format)
    if fmt is None:
        if _is_binary_file(path):  # junk named like a log that discovery joined to a run
            return _failed(path, binary_message(path), st)
        known = ", ".join(formats())
        return _failed(path, f"{path}: not a log format curvedoc knows (known: {known})", st)
    try:
        read = fmt.read(part, path, state)
        read.scalars = _canonical(read.scalars)
    except PermissionError as exc:
        return _failed(path, f"{path}: cannot read it ({exc}); check its permissions", st)
    except FileNotFoundError:
        return _failed(path, f"{path}: the file disappeared while it was read; "
                             "refresh to read the folder again", st)
    except Exception as exc:
        return _failed(
            path,
            f"{path}: the {part.format} reader failed ({type(exc).__name__}: {exc}); "
            "please report this with the file",
            st,
        )
    return FileResult(path, st, read)


def _canonical(frame: pd.DataFrame | None) -> pd.DataFrame:
    """canonical(), skipped for a frame that already is (the TensorBoard reader's: 0.5 ms)."""
    if (frame is not None and len(frame) and frame.columns.dtype == object
            and frame.columns.equals(FILE_COLUMNS)):
        dtypes = column_dtypes(frame)
        tag = dtypes[0]
        if (isinstance(tag, pd.CategoricalDtype) and tag.categories.dtype == object
                and dtypes[1:] == _NUMERIC and all(isinstance(c, str) for c in tag.categories)):
            return frame
    return canonical(frame)


_NUMERIC = [np.dtype(np.int64), np.dtype(np.float64), np.dtype(np.float64)]


def _is_binary_file(path: str) -> bool:
    try:
        return is_binary(fs.read_bytes(path, 0, 4096))
    except OSError:
        return False


def _failed(path: str, message: str, st: fs.FileStat | None = None) -> FileResult:
    return FileResult(path, st, FileRead(scalars=canonical(None), errors=[message]))


def read_files(
    source: RunSource, paths: Iterable[str] | None = None, states: Mapping[str, dict] | None = None
) -> list[FileResult]:
    """Read files of a run (all of them by default), each from its ``states`` entry if any.

    A plain top-level function of picklable arguments: the unit of work for an executor.
    """
    states = states or {}
    return [read_file(source, p, states.get(p)) for p in (source.files if paths is None else paths)]


def version_of(source: RunSource) -> str:
    fmt = formats().get(source.format)
    return str(getattr(fmt, "version", "")) if fmt is not None else ""


def key_of(source: RunSource, path: str) -> str:
    """The cache key of one file of a run: the part that reads it, and its version."""
    part = source.part_of(path)
    return file_key(part, path, version_of(part))


@dataclass
class Lookup:
    """What the cache holds of a run's files."""

    hits: dict[str, FileResult]  # unchanged files: their stored reads
    todo: list[str]  # files to read
    previous: dict[str, FileResult]  # grown files (in todo): the stored read to continue


def cached_reads(source: RunSource, cache: Cache | None) -> Lookup:
    """Files of a run the cache still holds (the same ident), grown ones, the rest to read."""
    found = Lookup({}, [], {})
    if cache is None or cache.files is None:
        found.todo.extend(source.files)
        return found
    for path in source.files:
        try:
            st = stat(path)
        except OSError:
            found.todo.append(path)  # read_file reports it
            continue
        entry = cache.files.lookup(key_of(source, path))
        ident = ident_of(path, st) if entry is not None else None  # a miss needs none
        if entry is not None and ident is not None and entry.ident == ident:
            found.hits[path] = FileResult(path, st, entry.read, ident)
            continue
        found.todo.append(path)
        if (entry is not None and entry.read.state and not entry.read.errors
                and grew_from(entry.ident, path, st)):
            found.previous[path] = FileResult(path, None, entry.read, entry.ident)
    return found


def identify(results: Iterable[FileResult]) -> list[FileResult]:
    """The results with the ident of the file each was read from (None when the file changed
    since its stat was taken: such a read is never cached nor continued)."""
    out = []
    for res in results:
        if res.ident is None and res.stat is not None and not res.read.errors:
            res.ident = ident_of(res.path, res.stat)
        out.append(res)
    return out


def store(source: RunSource, cache: Cache | None, results: Iterable[FileResult],
          *, later: bool = False) -> None:
    """Put fresh reads in the cache (identified ones without an error, not stored yet);
    ``later``: written by a background thread (see ``FileCache.put``)."""
    if cache is None or cache.files is None:
        return
    for res in results:
        if res.ident is not None and not res.read.errors and not res.stored:
            res.stored = cache.files.put(key_of(source, res.path), res.ident, res.read,
                                         later=later)


def read_and_store(
    source: RunSource,
    paths: Iterable[str] | None = None,
    states: Mapping[str, dict] | None = None,
    cache: Cache | None = None,
    *,
    later: bool = False,
) -> list[FileResult]:
    """:func:`read_files`, identified, and the files read from their start put in ``cache``:
    the unit of work for an executor, so that workers write the cache while they read.
    ``later``: the cache files are written by the cache's background thread (only in the
    caller's process: a pool's worker process may end before it has written them)."""
    states = states or {}
    results = identify(read_files(source, paths, states))
    store(source, cache, [r for r in results if r.path not in states], later=later)
    return results


@dataclass
class RunRead:
    """A run read whole by a worker: its files' results and the Run assembled from them.

    ``shared``: the one file's frame is the Run's frame without its ``run`` column, so it
    travels once (``results[0].read.scalars`` is None until :meth:`restore`).
    """

    results: list[FileResult]
    run: Run | None  # None when assembling failed in the worker (the caller assembles)
    shared: bool = False

    def restore(self) -> list[FileResult]:
        if self.shared and self.run is not None:
            self.results[0].read.scalars = without_run(self.run.scalars)
            self.shared = False
        return self.results


def read_whole_run(source: RunSource, cache: Cache | None, config: dict | None,
                   here: bool = False) -> RunRead:
    """Every file of a run read (and stored in ``cache``) and the Run assembled, where the
    files are: the unit of work for an executor on a cold open (the caller only unpickles).
    ``here``: run by a thread of the caller's process, so a one-file run's frame needs no
    sharing (nothing is pickled) and the cache is written after the answer, by the cache's
    background thread; else the frame travels once and the worker writes the cache."""
    results = read_and_store(source, None, None, cache, later=here)
    try:
        run = assemble(source, results, config)
    except Exception:
        return RunRead(results, None)
    only = results[0].read if len(results) == 1 and not here else None
    if only is not None and len(only.scalars) and len(only.scalars) == len(run.scalars):
        only.scalars = None  # type: ignore[assignment]  # restored by RunRead.restore
        return RunRead(results, run, shared=True)
    return RunRead(results, run)


# -- one run ------------------------------------------------------------------------------


def read_run(
    source: RunSource, *, cache: Cache | str | None = None, config: dict | None = None
) -> Run:
    """Read every file of a run (through ``cache``: a Cache, or a cache base folder) and
    assemble the Run."""
    own = isinstance(cache, (str, os.PathLike))
    if own:
        cache = Cache(source.root, cache)
    try:
        found = cached_reads(source, cache)
        fresh = identify(read_files(source, found.todo))
        store(source, cache, fresh)
    finally:
        if own:
            cache.close()
    by_path = {**found.hits, **{r.path: r for r in fresh}}
    return assemble(source, [by_path[p] for p in source.files if p in by_path], config)


def assemble(source: RunSource, results: list[FileResult], config: dict | None = None) -> Run:
    """The Run of a source from its files' reads: merge restarts and parts, hparams, roles."""
    config = config or {}
    errors: list[str] = []
    warnings: list[str] = list(source.notes)
    hparams: dict[str, Any] = {}
    for res in results:
        errors.extend(res.read.errors)
        warnings.extend(res.read.warnings)
        hparams.update(res.read.hparams or {})
    if source.format == UNKNOWN and not errors:
        errors.append(f"{', '.join(source.files)}: not a log format curvedoc can read")

    if source.parts:
        by_part: dict[int, list[FileResult]] = {}
        index = {id(p): i for i, p in enumerate(source.parts)}
        for res in results:
            by_part.setdefault(index.get(id(source.part_of(res.path)), -1), []).append(res)
        frames, labels = [], []
        for i, part_results in sorted(by_part.items()):
            frames.append(_files_frame(part_results, source, warnings))
            part = source.parts[i] if i >= 0 else source
            labels.append(f"the {part.format} log ({_short(part_results[0].path, source)})")
        frame, disagree = merge_parts(frames, labels)
        warnings.extend(disagree)
    else:
        frame = _files_frame(results, source, warnings)

    counts = tag_counts(frame)
    roles = infer_roles(list(counts), config.get("roles"), counts)
    if counts:
        note = missing_loss_warning(roles, counts)
        if note:
            warnings.append(note)
    elif not errors and not warnings:
        warnings.append(f"{', '.join(source.files)}: no scalars found in this run yet")

    return Run(
        id=source.id,
        name=source.name,
        format=source.format,
        sources=list(source.files),
        hparams=hparams,
        roles=roles,
        errors=_unique(errors),
        warnings=_unique(warnings),
        scalars=with_run(frame, source.id),
    )


def _files_frame(results: list[FileResult], source: RunSource, warnings: list[str]):
    """The frame of one source's files: a later file's steps win over an earlier one's.

    A later file that re-logs only step 0 is no restart: Lightning writes ``hp_metric`` at
    step 0 into every event file it opens, the one of its test phase included.
    """
    ordered = sorted(results, key=_first_wall_time) if len(results) > 1 else results
    frame, overlaps = later_wins([r.read.scalars for r in ordered])
    for earlier, later, lo, hi in overlaps:
        if lo == hi == 0:
            continue
        warnings.append(
            f"{_short(ordered[later].path, source)} re-logs steps {lo}–{hi} that "
            f"{_short(ordered[earlier].path, source)} had (a restart); the later values are kept"
        )
    return frame


def _first_wall_time(res: FileResult) -> float:
    walls = res.read.scalars["wall_time"].to_numpy()
    if not len(walls) or np.isnan(walls).all():
        return np.inf
    return float(np.nanmin(walls))


def _short(path: str, source: RunSource) -> str:
    if fs.is_local(path) and fs.is_local(source.root):
        try:
            return os.path.relpath(path, source.root)
        except ValueError:
            return path
    return path


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- many runs ----------------------------------------------------------------------------


def scalars_of(runs: Iterable[Run]) -> pd.DataFrame:
    """The long frame of several runs (``run`` and ``tag`` categorical)."""
    frames = [r.scalars for r in runs if len(r.scalars)]
    if not frames:
        return empty_scalars()
    return concat(frames)
