"""A catalog of every run under a root, kept up to date while training writes.

``open_root`` discovers the runs and reads them (through the cache, optionally through a
``concurrent.futures.Executor`` such as a process pool or a Dask ``Client``);
``Catalog.refresh`` re-discovers, reads only the bytes appended to grown files (handing each
format its state back), picks up new runs and drops vanished ones.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

import pandas as pd

from curvedoc.ingest import fs
from curvedoc.ingest.cache import Cache
from curvedoc.ingest.config import ConfigError, checked_config
from curvedoc.ingest.discover import Discovery, normalize_root, walk
from curvedoc.ingest.frames import concat
from curvedoc.ingest.model import FileRead, Run, RunSource
from curvedoc.ingest.progress import bar
from curvedoc.ingest.reading import (
    FileResult,
    assemble,
    cached_reads,
    read_files,
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
        cache: bool | str | Cache | None = True,
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

    def load(self) -> Catalog:
        """Discover and read every run (what ``open_root`` does)."""
        with self._lock:
            found = walk(self.root)
            jobs = [self._job_from_cache(s) for s in found.sources]
            runs, files = self._run_jobs(jobs)
            self._publish(found, runs, files)
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

    @property
    def warnings(self) -> list[str]:
        """Problems that belong to no run: config, cache, unreadable folders."""
        return [*self._open_warnings, *self._walk_warnings]

    def close(self) -> None:
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
        hits, todo = cached_reads(source, self.cache)
        return _Job(source, hits, todo, {})

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
            if _grew(prev, st):
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
        with bar(len(work), self.progress) as progress:
            if self.executor is not None and work:
                futures = {
                    id(j): self.executor.submit(read_files, j.source, j.paths, _states(j))
                    for j in work
                }
            else:
                futures = {}
            for job in jobs:
                if job.paths:
                    fresh = _result(futures.get(id(job)), job)
                    fresh = [_append(job.previous.get(r.path), r) for r in fresh]
                    store(job.source, self.cache, fresh)
                    job.done.update({r.path: r for r in fresh})
                    progress.update(1)
                results = [job.done[p] for p in job.source.files if p in job.done]
                files[job.source.id] = {r.path: r for r in results}
                runs[job.source.id] = _assemble(job.source, results, self.config)
        if self.cache is not None:
            self.cache.flush()
        return runs, files


def open_root(
    root: str,
    *,
    cache: bool | str | Cache | None = True,
    progress: bool = False,
    executor: Executor | None = None,
) -> Catalog:
    """Discover and read every run under ``root`` (a folder or one log file).

    ``cache``: True for the default cache folder, False for none, or a folder / Cache.
    ``progress``: show a bar on stderr when reading takes more than a moment.
    ``executor``: read files through ``executor.submit`` (a process pool, a Dask client).
    """
    return Catalog(root, cache=cache, progress=progress, executor=executor).load()


def read_scalars(path: str, *, cache: bool = True) -> pd.DataFrame:
    """The long frame (run, tag, step, value, wall_time) of a file, a run folder or a root."""
    with open_root(path, cache=cache) as catalog:
        return catalog.scalars()


def _make_cache(cache: bool | str | Cache | None, root: str) -> Cache | None:
    if cache is None or cache is False:
        return None
    if isinstance(cache, Cache):
        return cache
    if cache is True:
        return Cache.for_root(root)
    return Cache(os.fspath(cache))


def _stat_or_none(path: str) -> fs.FileStat | None:
    try:
        return stat(path)
    except OSError:
        return None


def _grew(prev: FileResult | None, st: fs.FileStat | None) -> bool:
    """Whether a file only grew since ``prev`` was read, so its state can resume the read."""
    return (
        prev is not None
        and prev.stat is not None
        and st is not None
        and st.size > prev.stat.size
        and not prev.read.errors
        and bool(prev.read.state)
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


def _result(future, job: _Job) -> list[FileResult]:
    """The reads of a job: from the executor's future, or in this process when there is no
    future or the executor failed (a broken pool, a lost worker) - never a crash."""
    if future is not None:
        try:
            return future.result()
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
    return FileResult(new.path, new.stat, read)
