"""A catalog of every run under a root, kept up to date while training writes.

``open_root`` discovers the runs and reads them (through the cache, optionally through a
``concurrent.futures.Executor`` such as a process pool or a Dask ``Client``);
``Catalog.refresh`` re-discovers, reads only the bytes appended to grown files (handing each
format its state back), picks up new runs and drops vanished ones.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from curvedoc.ingest import fs, tfscan
from curvedoc.ingest.cache import Cache, RunKey, grew_from, run_key
from curvedoc.ingest.config import ConfigError, checked_config
from curvedoc.ingest.discover import Discovery, normalize_root, walk
from curvedoc.ingest.frames import concat
from curvedoc.ingest.model import FileRead, Run, RunSource
from curvedoc.ingest.progress import bar
from curvedoc.ingest.reading import (
    FileResult,
    RunRead,
    assemble,
    cached_reads,
    identify,
    read_and_store,
    read_files,
    read_whole_run,
    scalars_of,
    stat,
    store,
)


@dataclass
class _Job:
    source: RunSource
    done: dict[str, FileResult]  # files that need no reading (cache hits, unchanged)
    paths: list[str]  # files to read
    previous: dict[str, FileResult]  # earlier reads of grown files, to append to


class Catalog:
    """Every run under ``root``: ``runs`` (id -> Run, sorted by id), ``config``, ``warnings``."""

    def __init__(
        self,
        root: str,
        *,
        cache: bool | str | os.PathLike[str] | Cache | None = True,
        progress: bool = False,
        executor: Executor | None = None,
    ):
        self.root = normalize_root(root)
        self._open_warnings: list[str] = []  # config and cache: known once, at open
        self._walk_warnings: list[str] = []  # unreadable folders etc.: new at each refresh
        try:
            self.config, problems = (
                checked_config(self.root) if fs.is_local(self.root) else ({}, [])
            )
            self._open_warnings.extend(problems)
        except ConfigError as exc:
            self.config = {}
            self._open_warnings.append(str(exc))
        self.cache = _make_cache(cache, self.root)
        if self.cache is not None and self.cache.disabled_reason:
            self._open_warnings.append(self.cache.disabled_reason)
        self.progress = progress
        self.executor = executor
        self.runs: dict[str, Run] = {}
        self._sources: dict[str, RunSource] = {}
        self._files: dict[str, dict[str, FileResult]] = {}
        self._lock = threading.RLock()

    # -- public -------------------------------------------------------------------------

    def load(self, known: Callable[[RunSource], Run | None] | None = None) -> Catalog:
        """Discover and read every run (what ``open_root`` does).

        ``known(source)`` may give a run without reading it (``check`` gives the runs whose
        stored summaries still hold, without their scalars); a refresh reads them.
        """
        with self._lock:
            found = walk(self.root)
            given: dict[str, Run] = {}
            jobs = []
            for source in found.sources:
                run = known(source) if known is not None else None
                if run is not None:
                    given[source.id] = run
                else:
                    jobs.append(self._job_from_cache(source))
            runs, files = self._run_jobs(jobs)
            self._publish(found, {**given, **runs}, files)
        return self

    def refresh(self) -> set[str]:
        """Re-discover and read what changed; the ids of new, changed and vanished runs.

        ``runs`` is replaced in one step at the end, so readers in other threads always
        see a complete catalog.
        """
        with self._lock:
            found = walk(self.root)
            now = {s.id: s for s in found.sources}
            changed = {rid for rid in self.runs if rid not in now}
            runs = {rid: run for rid, run in self.runs.items() if rid in now}
            files = {rid: f for rid, f in self._files.items() if rid in now}
            jobs = []
            for rid, source in now.items():
                job = self._job_from_memory(source)
                if job.paths or source != self._sources.get(rid) or rid not in self.runs:
                    jobs.append(job)
                    changed.add(rid)
            fresh_runs, fresh_files = self._run_jobs(jobs)
            self._publish(found, {**runs, **fresh_runs}, {**files, **fresh_files})
        return changed

    def _publish(self, found: Discovery, runs: dict[str, Run], files: dict) -> None:
        self._walk_warnings = found.warnings
        self._sources = {s.id: s for s in found.sources}
        self._files = files
        self.runs = {rid: runs[rid] for rid in sorted(runs)}

    def is_live(self, run_id: str, within_s: float = 120) -> bool:
        """Whether a file of the run changed in the last ``within_s`` seconds."""
        source = self._sources.get(run_id)
        if source is None:
            return False
        newest = 0.0
        for path in source.files:
            try:
                newest = max(newest, stat(path).mtime)
            except OSError:
                continue
        return newest >= time.time() - within_s

    def scalars(self, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The long frame of all runs (or of ``run_ids``)."""
        ids = self.runs if run_ids is None else run_ids
        return scalars_of(self.runs[r] for r in ids if r in self.runs)

    def run_key(self, run_id: str, rules: str) -> RunKey | None:
        """The key of a run's summary in ``cache.summaries`` under ``rules``
        (``curvedoc.ingest.cache.rules_key``), from the idents of the files as read;
        None for an unknown run or one whose files could not be identified."""
        source = self._sources.get(run_id)
        if source is None:
            return None
        idents = {p: r.ident for p, r in self._files.get(run_id, {}).items() if r.ident}
        return run_key(source, rules, idents)

    @property
    def warnings(self) -> list[str]:
        """Problems that belong to no run: config, cache, unreadable folders."""
        return [*self._open_warnings, *self._walk_warnings]

    def close(self) -> None:
        """Wait for the cache writes still running, and close the cache."""
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Catalog({self.root!r}, {len(self.runs)} runs)"

    # -- planning -----------------------------------------------------------------------

    def _job_from_cache(self, source: RunSource) -> _Job:
        found = cached_reads(source, self.cache)
        return _Job(source, found.hits, found.todo, found.previous)

    def _job_from_memory(self, source: RunSource) -> _Job:
        """What to read of a run again: new files, and grown or replaced ones."""
        before = self._files.get(source.id, {})
        same_source = self._sources.get(source.id) == source
        job = _Job(source, {}, [], {})
        for path in source.files:
            prev = before.get(path) if same_source else None
            st = _stat_or_none(path)
            # a failed read (a file unreadable for a moment) is tried again at every refresh
            if prev is not None and prev.stat == st and not prev.read.errors:
                job.done[path] = prev
                continue
            job.paths.append(path)
            if _grew(prev, path, st):
                job.previous[path] = prev
        return job

    # -- reading ------------------------------------------------------------------------

    def _run_jobs(
        self, jobs: list[_Job]
    ) -> tuple[dict[str, Run], dict[str, dict[str, FileResult]]]:
        """Read what the jobs need and assemble their runs."""
        runs: dict[str, Run] = {}
        files: dict[str, dict[str, FileResult]] = {}
        work = [j for j in jobs if j.paths]
        files_cache = self.cache.files if self.cache is not None else None
        # the answer first: cache files queued meanwhile are written once the runs are read,
        # unless the compiled writer writes them on a core of their own (it leaves the GIL
        # to the reading threads; the process then ends soon after the answer)
        concurrent = (files_cache is not None and files_cache.writes_off_the_gil
                      and (os.cpu_count() or 1) >= 2)
        hold = files_cache.hold() if files_cache is not None and not concurrent else \
            contextlib.nullcontext()
        with hold, _collection_paused(), bar(len(work), self.progress) as progress, \
                _threads(self.executor, work) as pool:
            futures = {id(j): self._submit(pool, j) for j in work} if pool else {}
            for job in jobs:
                whole = _whole(futures.get(id(job)))
                if whole is not None:  # read and assembled by a worker
                    results = whole.restore()
                    files[job.source.id] = {r.path: r for r in results}
                    runs[job.source.id] = whole.run
                    progress.update(1)
                    continue
                if job.paths:
                    fresh = identify(_result(futures.get(id(job)), job))
                    fresh = [_append(job.previous.get(r.path), r) for r in fresh]
                    store(job.source, self.cache, fresh, later=True)
                    job.done.update({r.path: r for r in fresh})
                    progress.update(1)
                results = [job.done[p] for p in job.source.files if p in job.done]
                files[job.source.id] = {r.path: r for r in results}
                runs[job.source.id] = _assemble(job.source, results, self.config)
        return runs, files

    def _submit(self, pool: Executor, job: _Job):
        """Hand a job to the executor: a run read from scratch is also assembled there."""
        here = isinstance(pool, ThreadPoolExecutor)
        if not job.done and not job.previous and list(job.paths) == list(job.source.files):
            return pool.submit(read_whole_run, job.source, self.cache, self.config, here)
        return pool.submit(read_and_store, job.source, job.paths, _states(job), self.cache,
                           later=here)


_paused = 0
_paused_lock = threading.Lock()
_was_enabled = False


@contextlib.contextmanager
def _collection_paused():
    """Python's cyclic garbage collector paused while runs are read (as it was before
    afterwards). Reading 1,000 runs keeps ~50 new objects each; the collections they
    trigger walk every object the process holds, ~0.15 ms a run. Nothing read makes
    cycles that must be collected meanwhile; nested and concurrent reads nest."""
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


#: Reading this many runs or more without an executor uses a thread per CPU: the TensorBoard
#: reader's compiled pass, file reads and cache writes release the GIL (curvedoc.ingest.tfscan).
THREADS_FROM = 8


@contextlib.contextmanager
def _threads(executor: Executor | None, work: list[_Job]):
    """The executor to read ``work`` with: the caller's, else a thread per CPU when the
    compiled TensorBoard pass is there and there is enough to read, else None (serial)."""
    cpus = os.cpu_count() or 1
    if executor is not None or not tfscan.AVAILABLE or cpus < 2 or len(work) < THREADS_FROM:
        yield executor
        return
    with ThreadPoolExecutor(cpus, thread_name_prefix="curvedoc-read") as pool:
        yield pool


def open_root(
    root: str,
    *,
    cache: bool | str | os.PathLike[str] | Cache | None = True,
    progress: bool = False,
    executor: Executor | None = None,
) -> Catalog:
    """Discover and read every run under ``root`` (a folder or one log file).

    ``cache``: True for curvedoc's cache in the user cache folder (or ``$CURVEDOC_CACHE_DIR``),
    False for none, a folder to keep the cache in instead, or a Cache. Nothing is written
    under ``root``.
    ``progress``: show a bar on stderr when reading takes more than a moment.
    ``executor``: read files through ``executor.submit`` (a process pool, a Dask client).
    """
    return Catalog(root, cache=cache, progress=progress, executor=executor).load()


def read_scalars(path: str, *, cache: bool | str | os.PathLike[str] = True) -> pd.DataFrame:
    """The long frame (run, tag, step, value, wall_time) of a file, a run folder or a root.

    ``cache``: True for curvedoc's cache in the user cache folder (nothing is written in
    ``path``), False for none, or the cache folder to use. Closing the catalog waits for the
    cache writes, so they are done when this returns.
    """
    with open_root(path, cache=cache) as catalog:
        return catalog.scalars()


def _make_cache(cache: bool | str | os.PathLike[str] | Cache | None, root: str) -> Cache | None:
    if cache is None or cache is False:
        return None
    if isinstance(cache, Cache):
        return cache
    if cache is True:
        return Cache(root)
    return Cache(root, os.fspath(cache))


def _stat_or_none(path: str) -> fs.FileStat | None:
    try:
        return stat(path)
    except OSError:
        return None


def _grew(prev: FileResult | None, path: str, st: fs.FileStat | None) -> bool:
    """Whether a file only grew since ``prev`` was read (the same inode, and its first and
    last blocks as they were), so its state can resume the read."""
    return (
        prev is not None
        and prev.ident is not None
        and st is not None
        and not prev.read.errors
        and bool(prev.read.state)
        and grew_from(prev.ident, path, st)
    )


def _assemble(source: RunSource, results: list[FileResult], config: dict) -> Run:
    """assemble(), with a bug in it confined to this run."""
    try:
        return assemble(source, results, config)
    except Exception as exc:
        return Run(
            id=source.id,
            name=source.name,
            format=source.format,
            sources=list(source.files),
            errors=[
                f"{source.id}: curvedoc failed to merge this run's files "
                f"({type(exc).__name__}: {exc}); please report this"
            ],
        )


def _whole(future) -> RunRead | None:
    """The RunRead of a future that read a whole run (None for any other or a failed one,
    which ``_result`` then reads in this process)."""
    if future is None:
        return None
    try:
        got = future.result()
    except Exception:
        return None
    return got if isinstance(got, RunRead) and got.run is not None else None


def _result(future, job: _Job) -> list[FileResult]:
    """The reads of a job: from the executor's future, or in this process when there is no
    future or the executor failed (a broken pool, a lost worker) - never a crash."""
    if future is not None:
        try:
            got = future.result()
            return got.restore() if isinstance(got, RunRead) else got
        except Exception:
            pass
    return read_files(job.source, job.paths, _states(job))


def _states(job: _Job) -> dict[str, dict]:
    return {p: r.read.state for p, r in job.previous.items()}


def _append(prev: FileResult | None, new: FileResult) -> FileResult:
    """An earlier read of a file followed by what its format read from the appended bytes.

    The appended rows follow the earlier ones, all kept (a step re-logged across two
    polls keeps both rows, as one read of the whole file does); a read that started the
    file again (``FileRead.reset``) replaces the earlier one. The earlier read's warning about
    a half-written end (``FileRead.tail_warning``) no longer holds once more was read.
    """
    if prev is None or new.read.errors or new.read.reset:
        return new
    frame = concat([prev.read.scalars, new.read.scalars])
    stale = prev.read.tail_warning
    kept = [w for w in prev.read.warnings if w != stale]
    read = FileRead(
        scalars=frame,
        hparams={**prev.read.hparams, **new.read.hparams},
        warnings=list(dict.fromkeys([*kept, *new.read.warnings])),
        errors=list(new.read.errors),
        state=new.read.state,
        tail_warning=new.read.tail_warning,
    )
    return FileResult(new.path, new.stat, read, new.ident)
