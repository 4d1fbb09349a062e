"""``check`` on a Dask cluster: discover, read and diagnose on the workers; summaries come back.

The client sends the workers a root and gets back one small :class:`RunSummary` per run;
no frame ever travels, so the client's memory grows with the number of runs (a few hundred
bytes each), never with the number of points.

1. A worker walks the root folder alone (:func:`~curvedoc.ingest.discover.walk_top`);
   then each of its sub-folders is walked on some worker (``walk_below``), so the client
   never lists a huge tree.
2. As a sub-folder's runs arrive, they are sent out in batches; a worker reads each run,
   diagnoses it and returns its summary (:func:`check_batch`). Nothing is cached there.
3. A task that raises is retried (``retries``); a task whose worker died is rescheduled by
   Dask, and given up after ``distributed.scheduler.allowed-failures`` deaths (3). A batch
   given up is sent again run by run, and any other task given up is sent once more, so a
   run that sat beside the culprit is not lost; only a run that kills its worker every
   time is listed with an error. When the cluster finishes nothing for ``idle_timeout``
   seconds the runs still out are listed with an error too. Nothing waits forever.

Workers must see the root under the same path (a shared disk, or a URL like ``s3://``) and
have curvedoc installed. The functions sent to workers are plain top-level functions of
picklable arguments; Dask itself is imported only by :func:`connect` and :func:`check_root`.
"""

from __future__ import annotations

import logging
import queue
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from curvedoc.ingest.discover import walk_below, walk_top
from curvedoc.ingest.model import RunSource
from curvedoc.ingest.reading import read_run

from .engine import diagnose
from .summary import RunSummary, compact, failed, summarize

#: Runs per task: enough to hide the scheduler's ~1 ms per task, few enough to spread.
BATCH = 16
#: A level with fewer sub-folders than this is listed level by level (up to SPREAD_DEPTH
#: levels down) before sub-trees are handed to workers whole, so the walk spreads.
SPREAD = 16
SPREAD_DEPTH = 3
#: Seconds the cluster may finish nothing before the runs still out are given up.
IDLE_TIMEOUT = 600.0
_LOCAL = re.compile(r"^local(?::(\d+))?$")


class ClusterError(RuntimeError):
    """The cluster could not be started or reached; the message says what to do."""


@dataclass
class ClusterCheck:
    """What a check on the cluster found: a summary per run (sorted by id), where each run
    lives (to read its curves later), and problems that belong to no run."""

    root: str
    summaries: dict[str, RunSummary] = field(default_factory=dict)
    sources: dict[str, RunSource] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# -- on the workers -------------------------------------------------------------------------


def check_source(
    source: RunSource, config: dict | None, select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> RunSummary:
    """Read one run, diagnose it and summarise it. Never raises: a failure is its error."""
    try:
        run = read_run(source, config=config)
    except Exception as exc:
        return failed(source.id, source.name, source.format,
                      f"{source.id}: curvedoc failed to read this run "
                      f"({type(exc).__name__}: {exc}); please report this")
    try:
        diagnosis = diagnose(run, config, select=select, ignore=ignore)
    except Exception as exc:
        run.errors.append(f"{source.id}: diagnosis failed ({type(exc).__name__}: {exc}); "
                          "please report this")
        diagnosis = None
    return summarize(run, diagnosis)


def check_batch(
    sources: Sequence[RunSource],
    config: dict | None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> list[RunSummary]:
    """:func:`check_source` for each run of a batch (the unit of work of a task)."""
    return [check_source(s, config, select, ignore) for s in sources]


# -- on the client --------------------------------------------------------------------------


def parse_address(address: str) -> int | str | None:
    """``local`` -> None (one worker per CPU), ``local:N`` -> N, anything else -> itself."""
    m = _LOCAL.match(address.strip())
    if not m:
        return address.strip()
    if m.group(1) is not None and int(m.group(1)) < 1:
        raise ClusterError(f"{address}: a local cluster needs at least one worker (local:1)")
    return int(m.group(1)) if m.group(1) else None


@contextmanager
def connect(address: str, *, timeout: float = 10.0) -> Iterator[Any]:
    """A Dask ``Client`` on ``address`` (a scheduler, e.g. ``tcp://host:8786``), or on a
    ``LocalCluster`` for ``local[:N]`` (N worker processes on 127.0.0.1, stopped at the end).
    """
    where = parse_address(address)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ClusterError("--cluster needs Dask: pip install 'curvedoc[cluster]'") from exc
    if isinstance(where, str):
        try:
            client = Client(where, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {where} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, "
                "or use --cluster local") from exc
        with client:
            yield client
        return
    import os

    workers = where or os.cpu_count() or 1
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", scheduler_port=0, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        yield client


def check_root(
    root: str,
    client: Any,
    config: dict | None = None,
    *,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    batch: int = BATCH,
    retries: int = 2,
    idle_timeout: float = IDLE_TIMEOUT,
    on_done: Callable[[int], None] | None = None,
    work: Callable[..., list[RunSummary]] = check_batch,
) -> ClusterCheck:
    """Discover, read and diagnose every run under ``root`` on the workers of ``client``.

    ``config`` is the root's curvedoc config (loaded by the caller, shipped to every task).
    ``on_done(n)`` is called as summaries arrive (for a progress bar); ``work`` is what a
    task runs on a batch of runs (:func:`check_batch`, or a wrapper of it). Raises
    FileNotFoundError when ``root`` does not exist (as seen from a worker).
    """
    from curvedoc.ingest.discover import normalize_root

    check = _Check(normalize_root(root), client, config, list(select), list(ignore), batch,
                   retries, idle_timeout, on_done, work)
    return check.run()


@dataclass
class _Task:
    """One submitted task: what it is, its function and arguments, how often it was sent."""

    kind: str  # "top" (one folder's level), "walk" (a whole sub-tree), "runs" (a batch)
    fn: Callable
    args: tuple
    attempt: int = 0
    depth: int = 0  # of a "top": how many levels below the root
    rel: str = "."  # of a "top" or "walk": the folder's id
    sources: list[RunSource] = field(default_factory=list)  # of "runs"


class _Check:
    """One check_root in progress: the tasks out, and what came back."""

    def __init__(self, root, client, config, select, ignore, batch, retries, idle_timeout,
                 on_done, work):
        self.root, self.client, self.config = root, client, config
        self.select, self.ignore, self.batch, self.retries = select, ignore, batch, retries
        self.idle_timeout, self.on_done, self.work = idle_timeout, on_done, work
        self.out = ClusterCheck(root)
        self.pending: dict[Any, _Task] = {}
        self.done: queue.Queue = queue.Queue()  # futures as they finish (Dask's callback thread)

    def run(self) -> ClusterCheck:
        self.send(_Task("top", walk_top, (self.root,)))
        last = time.monotonic()
        while self.pending:
            try:
                fut = self.done.get(
                    timeout=max(0.0, self.idle_timeout - (time.monotonic() - last)))
            except queue.Empty:
                break
            last = time.monotonic()
            task = self.pending.pop(fut)
            result, error = _outcome(fut, self.idle_timeout)
            fut.release()
            if error is None:
                self.took(task, result)
            else:
                self.failed(task, error)
        self.give_up()
        out = self.out
        out.summaries = dict(sorted(out.summaries.items()))
        out.sources = {rid: out.sources[rid] for rid in out.summaries if rid in out.sources}
        return out

    def send(self, task: _Task) -> None:
        fut = self.client.submit(task.fn, *task.args, retries=self.retries, pure=False)
        self.pending[fut] = task
        fut.add_done_callback(self.done.put)

    def send_runs(self, sources: list[RunSource], size: int) -> None:
        for i in range(0, len(sources), size):
            part = sources[i:i + size]
            self.send(_Task("runs", self.work, (part, self.config, self.select, self.ignore),
                            sources=part))

    def took(self, task: _Task, result: Any) -> None:
        if task.kind == "runs":
            self.add(result)
            return
        found, below, above = result if task.kind == "top" else (result, [], ())
        self.out.warnings.extend(found.warnings)
        self.out.sources.update((s.id, s) for s in found.sources)
        self.send_runs(list(found.sources), self.batch)
        # few sub-folders (one "experiments/" holding all runs): look one level deeper
        # before handing whole sub-trees to single workers; above: identities (symlinks)
        deeper = len(below) < SPREAD and task.depth < SPREAD_DEPTH
        for folder, rel in below:
            if deeper:
                self.send(_Task("top", walk_top, (self.root, folder, rel, above),
                                depth=task.depth + 1, rel=rel))
            else:
                self.send(_Task("walk", walk_below, (self.root, folder, rel, above), rel=rel))

    def failed(self, task: _Task, error: BaseException) -> None:
        """Send a failed task once more (a batch run by run, so only the culprit fails)."""
        if task.kind == "top" and task.depth == 0 and isinstance(error, FileNotFoundError):
            raise error
        if task.kind == "runs" and len(task.sources) > 1:
            self.send_runs(task.sources, 1)
        elif task.attempt == 0:
            self.send(_Task(task.kind, task.fn, task.args, 1, task.depth, task.rel,
                            task.sources))
        elif task.kind == "runs":
            self.add([failed(s.id, s.name, s.format, _lost(s, error)) for s in task.sources])
        elif task.kind == "top" and task.depth == 0:
            raise ClusterError(f"{self.root}: the cluster could not list this folder "
                               f"({_say(error)})")
        else:
            self.out.warnings.append(f"{self.root}/{task.rel}: the cluster could not walk this "
                                     f"folder ({_say(error)}); its runs are not listed")

    def add(self, summaries: list[RunSummary]) -> None:
        for s in summaries:
            self.out.summaries[s.id] = compact(s)
        if self.on_done:
            self.on_done(len(summaries))

    def give_up(self) -> None:
        """List what is still out after the idle timeout, and cancel it."""
        for task in self.pending.values():
            if task.kind == "runs":
                self.add([failed(
                    s.id, s.name, s.format,
                    f"{s.id}: the cluster finished nothing for {self.idle_timeout:g} s while "
                    "this run was out; it was given up (a hung read or a stalled cluster)")
                    for s in task.sources])
            else:
                self.out.warnings.append(
                    f"{self.root}/{task.rel}: the walk did not finish within "
                    f"{self.idle_timeout:g} s; runs under it are not listed")
        if self.pending:
            self.client.cancel(list(self.pending))
            self.pending.clear()


def _outcome(fut: Any, wait_s: float) -> tuple[Any, BaseException | None]:
    """(result, None), or (None, the error): the task's own, KilledWorker, a timeout, ...

    A finished result can still be lost when its worker dies before it was fetched; Dask
    then computes it again, and ``result`` waits for that (at most ``wait_s``).
    """
    try:
        return fut.result(timeout=wait_s), None
    except Exception as exc:
        return None, exc


def _say(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _lost(source: RunSource, error: BaseException) -> str:
    if type(error).__name__ == "KilledWorker":
        return (f"{source.id}: a cluster worker died each time it read or diagnosed this run "
                "(out of memory, or a crash in a reader); it was given up")
    return f"{source.id}: the cluster could not check this run ({_say(error)})"
