"""The server-side state of one dashboard: the catalog of runs and their diagnoses.

The browser refers to runs only by id; :meth:`DashboardState.run` rejects any
id that is not in the server's own list, so no request can name a file.
Refreshing reads only appended bytes (``Catalog.refresh``) and re-diagnoses
the runs that changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from curvedoc.ingest.model import Run


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
    ) -> None:
        """``background=True`` diagnoses the runs in a thread, so a server over a large
        folder answers at once; runs show as "pending" until their diagnosis is in and
        :attr:`version` goes up as diagnoses arrive."""
        self.catalog = catalog
        self.config = dict(config if config is not None else getattr(catalog, "config", {}) or {})
        self._diagnose = diagnose or _default_diagnose()
        self._lock = threading.RLock()
        self.diagnoses: dict[str, Any] = {}
        self._rows: dict[str, dict[str, Any]] = {}
        self._series: dict[tuple[str, str], pd.DataFrame] = {}
        self.version = 0
        self.refreshed_at = time.time()
        self.pending: set[str] = set()
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
        """``Run.series`` of a known run, cached until the run changes."""
        key = (run_id, role_or_tag)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = self.run(run_id).series(role_or_tag)
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

    def is_live(self, run_id: str) -> bool:
        try:
            return bool(self.catalog.is_live(run_id))
        except Exception:  # a vanished file is not "live"
            return False

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
            self._series = {k: v for k, v in self._series.items()
                            if k[0] not in changed and k[0] not in gone}
            for rid in gone:
                self.diagnoses.pop(rid, None)
            if changed:
                self._diagnose_runs({r: self.catalog.runs[r] for r in changed
                                     if r in self.catalog.runs})
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
