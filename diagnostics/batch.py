"""Diagnose many runs at once, optionally on several processes.

Workers are forked after the runs are in memory, so only run ids go out and
small Diagnosis objects come back (no frames are pickled).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from curvedoc.ingest.model import Run

from .engine import diagnose
from .findings import Diagnosis

#: Below this many runs a process pool costs more than it saves.
PARALLEL_MIN_RUNS = 64

_SHARED: dict[str, Any] = {}


def diagnose_all(
    runs: dict[str, Run],
    config: dict[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    jobs: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> dict[str, Diagnosis]:
    """Diagnosis per run id, in the order of ``runs``.

    ``jobs``: worker processes (None = one per CPU; 1 = in this process). The
    pool is only used where ``fork`` exists and there are enough runs.
    ``on_done(n)`` is called as runs finish (for a progress bar).
    """
    select, ignore = list(select or []), list(ignore or [])
    ids = list(runs)
    jobs = jobs or os.cpu_count() or 1
    use_pool = (jobs > 1 and len(ids) >= PARALLEL_MIN_RUNS
                and "fork" in mp.get_all_start_methods())
    if not use_pool:
        out = {}
        for rid in ids:
            out[rid] = diagnose(runs[rid], config, select=select, ignore=ignore)
            if on_done:
                on_done(1)
        return out
    _SHARED.update(runs=runs, config=config, select=select, ignore=ignore)
    try:
        chunk = max(8, len(ids) // (jobs * 8))
        parts = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
        out = {}
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            for part in pool.map(_work, parts):
                out.update(part)
                if on_done:
                    on_done(len(part))
        return {rid: out[rid] for rid in ids}
    finally:
        _SHARED.clear()


def _work(ids: list[str]) -> dict[str, Diagnosis]:
    s = _SHARED
    return {rid: diagnose(s["runs"][rid], s["config"], select=s["select"], ignore=s["ignore"])
            for rid in ids}
