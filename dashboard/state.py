"""The server-side state of one dashboard: the catalog of runs and their diagnoses.

The browser refers to runs only by id; :meth:`DashboardState.run` rejects any
id that is not in the server's own list, so no request can name a file.
Refreshing reads only appended bytes (``Catalog.refresh``) and re-diagnoses
the runs that changed.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from curvedoc.dashboard.lru import LRU
from curvedoc.ingest.model import Run, empty_scalars

#: Caps of the series cache: requests name runs and metrics, so it must not grow
#: with every name a request makes up (see ``curvedoc.dashboard.lru``).
SERIES_CACHE_ITEMS = 2048
SERIES_CACHE_BYTES = 256 * 2**20

#: The series of a name a run does not have (shared and read-only, as cached series are).
_NO_SERIES = empty_scalars(with_run=False)[["step", "value", "wall_time"]]


class UnknownRun(KeyError):
    """A run id that the server does not know (never a path to open)."""

    def __str__(self) -> str:
        return f"unknown run id {self.args[0]!r}"


@dataclass
class RunsCatalog:
    """A catalog over runs already in memory (a notebook, a test, a saved selection).

    Offers the same reading interface as ``curvedoc.ingest.Catalog``; it never
    changes, so ``refresh`` finds nothing new and no run is live.
    """

    runs: dict[str, Run]
    root: str = "<memory>"
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.runs = dict(sorted(self.runs.items()))

    def refresh(self) -> set[str]:
        return set()

    def is_live(self, run_id: str, within_s: float = 120) -> bool:
        return False


@dataclass
class FailedDiagnosis:
    """Stands in for a diagnosis that raised: no findings, the error kept for the page."""

    run_id: str
    error: str
    findings: list = field(default_factory=list)
    labels: list = field(default_factory=list)


def _may_have(run: Run, role_or_tag: str) -> bool:
    """False when ``run`` surely has no such role or tag (its tags are categorical)."""
    tag = run.roles.get(role_or_tag, role_or_tag)
    column = run.scalars["tag"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return tag in column.cat.categories
    return True


def _frame_bytes(frame: pd.DataFrame) -> float:
    return float(frame.memory_usage(index=True, deep=False).sum())


def _default_diagnose() -> Callable[..., Any]:
    from curvedoc.diagnostics import diagnose

    return diagnose


class DashboardState:
    """Runs, diagnoses and a data version shared by all pages of one app."""

    def __init__(
        self,
        catalog: Any,
        *,
        diagnose: Callable[..., Any] | None = None,
        config: dict | None = None,
        background: bool = False,
        series_cache: LRU[tuple[str, str], pd.DataFrame] | None = None,
    ) -> None:
        """``background=True`` diagnoses the runs in a thread, so a server over a large
        folder answers at once; runs show as "pending" until their diagnosis is in and
        :attr:`version` goes up as diagnoses arrive. ``series_cache`` holds the series
        pages draw (default: an LRU of at most ``SERIES_CACHE_ITEMS`` series and
        ``SERIES_CACHE_BYTES`` bytes)."""
        self.catalog = catalog
        self.config = dict(config if config is not None else getattr(catalog, "config", {}) or {})
        self._diagnose = diagnose or _default_diagnose()
        self._lock = threading.RLock()
        self.diagnoses: dict[str, Any] = {}
        self._rows: dict[str, dict[str, Any]] = {}
        self.series_cache = series_cache if series_cache is not None else LRU(
            SERIES_CACHE_ITEMS, SERIES_CACHE_BYTES, _frame_bytes)
        self.version = 0
        self.refreshed_at = time.time()
        self.pending: set[str] = set()
        #: run id -> when a refresh last found its files grown (or the run new)
        self.grown_at: dict[str, float] = {}
        preset = getattr(catalog, "diagnoses", None)  # a summary-backed catalog's (lazy_catalog)
        if isinstance(preset, dict):
            self.diagnoses.update(preset)
        elif background and self.catalog.runs:
            self.pending = set(self.catalog.runs)
            self._worker = threading.Thread(target=self._diagnose_pending, daemon=True,
                                            name="curvedoc-diagnose")
            self._worker.start()
        else:
            self._diagnose_runs(self.catalog.runs)
            for rid in self.catalog.runs:  # the runs page then only filters and sends
                self.row(rid)

    # -- lookup ---------------------------------------------------------------
    @property
    def root(self) -> str:
        return str(getattr(self.catalog, "root", ""))

    @property
    def runs(self) -> dict[str, Run]:
        return self.catalog.runs

    def run(self, run_id: Any) -> Run:
        """The run with this id; :class:`UnknownRun` for anything else."""
        if not isinstance(run_id, str) or run_id not in self.catalog.runs:
            raise UnknownRun(run_id)
        return self.catalog.runs[run_id]

    def known(self, run_ids: Iterable[Any] | None) -> list[str]:
        """The ids among ``run_ids`` that the server knows, in the given order, deduplicated."""
        seen: dict[str, None] = {}
        for rid in run_ids or []:
            if isinstance(rid, str) and rid in self.catalog.runs:
                seen.setdefault(rid, None)
        return list(seen)

    def diagnosis(self, run_id: str) -> Any:
        self.run(run_id)
        return self.diagnoses[run_id]

    def series(self, run_id: str, role_or_tag: str) -> pd.DataFrame:
        """``Run.series`` of a known run, cached (LRU, bounded) until the run changes.

        A name the run does not have gives an empty frame that is not cached.
        """
        key = (run_id, role_or_tag)
        found = self.series_cache.get(key)
        if found is None:
            run = self.run(run_id)
            if not _may_have(run, role_or_tag):  # a made-up name costs no scan of the run
                return _NO_SERIES
            found = run.series(role_or_tag)
            if len(found):
                self.series_cache.put(key, found)
        return found

    def row(self, run_id: str) -> dict[str, Any]:
        """The runs-grid row of a known run (without the live flag), cached until it changes."""
        found = self._rows.get(run_id)
        if found is not None:
            return found
        from curvedoc.dashboard.tables import run_row

        with self._lock:  # a diagnosis arriving meanwhile must not leave a stale row cached
            run, row_of = self.run(run_id), getattr(self.catalog, "row_of", None)
            row = (row_of(run_id, self.diagnoses.get(run_id)) if row_of  # from a summary
                   else run_row(run, self.diagnoses.get(run_id)))
            if run_id in self.pending:
                row.update(labels=["pending"], label_text="diagnosing…")
                return row  # not cached: it changes when the diagnosis arrives
            self._rows[run_id] = row
            return row

    #: A run stays "live" this many seconds after a refresh last found it grown.
    LIVE_S = 120.0

    def is_live(self, run_id: str) -> bool:
        """A file of the run grew (or the run appeared) since the server started, at a
        refresh less than :attr:`LIVE_S` ago; files copied before the start don't count."""
        return time.time() - self.grown_at.get(run_id, -math.inf) <= self.LIVE_S

    # -- refresh --------------------------------------------------------------
    def refresh(self) -> set[str]:
        """Read what was appended since the last call; re-diagnose changed runs.

        Returns the ids of new or changed runs (empty when nothing changed).
        """
        with self._lock:
            changed = set(self.catalog.refresh())
            gone = set(self.diagnoses) - set(self.catalog.runs)
            for rid in gone | changed:
                self._rows.pop(rid, None)
            self.series_cache.discard_where(lambda k: k[0] in changed or k[0] in gone)
            for rid in gone:
                self.diagnoses.pop(rid, None)
            if changed:
                self._diagnose_runs({r: self.catalog.runs[r] for r in changed
                                     if r in self.catalog.runs})
            now = time.time()
            self.grown_at.update((rid, now) for rid in changed if rid in self.catalog.runs)
            if changed or gone:
                self.version += 1
            self.refreshed_at = time.time()
            return changed | gone

    def _diagnose_pending(self, batch: int = 50) -> None:
        """Diagnose every pending run; publish (bump the version) every ``batch`` runs."""
        done = 0
        for rid in sorted(self.pending):
            run = self.catalog.runs.get(rid)
            if run is not None:
                self._diagnose_runs({rid: run})
            with self._lock:
                self.pending.discard(rid)
                self._rows.pop(rid, None)
                done += 1
                if done % batch == 0 or not self.pending:
                    self.version += 1

    def wait_diagnosed(self, timeout: float | None = None) -> bool:
        """Block until background diagnoses are done (True) or ``timeout`` passed."""
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.join(timeout)
        return not self.pending

    def _diagnose_runs(self, runs: dict[str, Run]) -> None:
        for rid, run in runs.items():
            try:
                self.diagnoses[rid] = self._diagnose(run, self.config)
            except Exception as exc:  # one bad run must not take the dashboard down
                self.diagnoses[rid] = FailedDiagnosis(
                    rid, f"diagnosis failed: {type(exc).__name__}: {exc}"
                )
