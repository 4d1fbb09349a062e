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
   Dask, and given up after ``distributed.scheduler.allowed-failures`` deaths. A batch that
   failed is sent again run by run, so that only the run that kills a worker is listed
   with an error; when the cluster finishes nothing for ``idle_timeout`` seconds the runs
   still out are listed with an error too. Nothing waits forever.

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

from curvedoc.ingest.discover import Discovery, walk_below, walk_top
from curvedoc.ingest.model import RunSource
from curvedoc.ingest.reading import read_run

from .engine import diagnose
from .summary import RunSummary, failed, summarize

#: Runs per task: enough to hide the scheduler's ~1 ms per task, few enough to spread.
BATCH = 16
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

    root = normalize_root(root)
    select, ignore = list(select), list(ignore)
    out = ClusterCheck(root)
    pending: dict[Any, tuple[str, Any]] = {}  # future -> (what it is, its input)
    done: queue.Queue = queue.Queue()  # futures as they finish, put by Dask's callback thread

    def send(kind: str, payload: Any, fn: Callable, *args: Any) -> None:
        fut = client.submit(fn, *args, retries=retries, pure=False)
        pending[fut] = (kind, payload)
        fut.add_done_callback(done.put)

    def send_runs(sources: list[RunSource], size: int) -> None:
        for i in range(0, len(sources), size):
            part = sources[i:i + size]
            send("runs", part, work, part, config, select, ignore)

    send("top", None, walk_top, root)
    last = time.monotonic()
    while pending:
        try:
            fut = done.get(timeout=max(0.0, idle_timeout - (time.monotonic() - last)))
        except queue.Empty:
            break
        last = time.monotonic()
        kind, payload = pending.pop(fut)
        result, error = _outcome(fut, idle_timeout)
        fut.release()
        if kind == "top":
            if error:
                raise error if isinstance(error, FileNotFoundError) else ClusterError(
                    f"{root}: the cluster could not list this folder ({_say(error)})")
            found, below = result
            _take(out, found, send_runs, batch)
            for folder, rel in below:
                send("walk", rel, walk_below, root, folder, rel)
        elif kind == "walk":
            if error:
                out.warnings.append(f"{root}/{payload}: the cluster could not walk this "
                                    f"folder ({_say(error)}); its runs are not listed")
            else:
                _take(out, result, send_runs, batch)
        elif error and len(payload) > 1:
            send_runs(payload, 1)  # again one by one: only the culprit gets the error
        else:
            summaries = ([failed(s.id, s.name, s.format, _lost(s, error)) for s in payload]
                         if error else result)
            for s in summaries:
                out.summaries[s.id] = s
            if on_done:
                on_done(len(summaries))
    for kind, payload in pending.values():
        if kind == "runs":
            for s in payload:
                out.summaries[s.id] = failed(
                    s.id, s.name, s.format,
                    f"{s.id}: the cluster finished nothing for {idle_timeout:g} s while this run "
                    "was out; it was given up (a hung read or a stalled cluster)")
        else:
            out.warnings.append(f"{root}/{payload or ''}: the walk did not finish within "
                                f"{idle_timeout:g} s; runs under it are not listed")
    if pending:
        client.cancel(list(pending))
    out.summaries = dict(sorted(out.summaries.items()))
    out.sources = {rid: out.sources[rid] for rid in out.summaries if rid in out.sources}
    return out


def _take(out: ClusterCheck, found: Discovery, send_runs: Callable, batch: int) -> None:
    out.warnings.extend(found.warnings)
    out.sources.update((s.id, s) for s in found.sources)
    send_runs(list(found.sources), batch)


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
