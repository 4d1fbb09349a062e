"""A catalog backed by run summaries: the dashboard lists runs it has not read.

``curvedoc serve ROOT --cluster ADDRESS`` checks the root on a Dask cluster
(:mod:`curvedoc.diagnostics.distributed`), which sends back one small
:class:`~curvedoc.diagnostics.summary.RunSummary` per run. :class:`SummaryCatalog` offers
the reading interface :class:`~curvedoc.dashboard.state.DashboardState` uses, built from
those summaries: the runs grid comes from them (``row_of``), the diagnoses too
(``diagnoses``), and a run's curves are read only when a page asks for its ``scalars``
(:class:`LazyRun`). At most :data:`KEEP_LOADED` runs keep their curves in memory at once,
so browsing a 100k-run root costs the memory of a few runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

from curvedoc.diagnostics.findings import Diagnosis
from curvedoc.diagnostics.summary import RunSummary
from curvedoc.ingest.model import Run, RunSource

#: Runs whose curves stay in memory after a page read them (least recently used dropped).
KEEP_LOADED = 64


class LazyRun(Run):
    """A :class:`Run` known from its summary; ``scalars`` are read on first use."""

    def __init__(self, summary: RunSummary, source: RunSource | None, catalog: SummaryCatalog):
        # Run's fields, all but the scalars (no dataclass __init__: it would set them)
        self.id = summary.id
        self.name = summary.name
        self.format = summary.format
        self.sources = list(summary.sources)
        self.hparams = dict(summary.hparams)
        self.roles = dict(summary.roles)
        self.errors = list(summary.errors)
        self.warnings = list(summary.warnings)
        self.summary = summary
        self._source = source
        self._catalog = catalog
        self._scalars: pd.DataFrame | None = None

    @property  # type: ignore[override]
    def scalars(self) -> pd.DataFrame:
        if self._scalars is None:
            self._scalars = self._catalog.load(self)
        else:
            self._catalog.touch(self)
        return self._scalars

    @scalars.setter
    def scalars(self, frame: pd.DataFrame) -> None:
        self._scalars = frame

    @property
    def loaded(self) -> bool:
        return self._scalars is not None

    def unload(self) -> None:
        self._scalars = None

    def __repr__(self) -> str:
        return f"LazyRun({self.id!r}, {self.format!r}, loaded={self.loaded})"


def read_curves(source: RunSource, config: dict) -> pd.DataFrame:
    """The scalars of one run, read here (the default loader of :class:`SummaryCatalog`)."""
    from curvedoc.ingest.reading import read_run

    return read_run(source, config=config).scalars


class SummaryCatalog:
    """The runs of a root as summaries (``runs``: id -> :class:`LazyRun`, sorted by id).

    It does not watch the root: ``refresh`` finds nothing new and no run is live; run
    ``serve --cluster`` again to see new runs.
    """

    def __init__(
        self,
        root: str,
        summaries: dict[str, RunSummary],
        sources: dict[str, RunSource],
        *,
        config: dict | None = None,
        warnings: list[str] | None = None,
        loader: Callable[[RunSource, dict], pd.DataFrame] = read_curves,
        keep_loaded: int = KEEP_LOADED,
    ):
        self.root = root
        self.config = dict(config or {})
        self.warnings = list(warnings or [])
        self._loader = loader
        self._keep = keep_loaded
        self._loaded: OrderedDict[str, LazyRun] = OrderedDict()
        self._lock = threading.Lock()
        self.runs: dict[str, LazyRun] = {
            rid: LazyRun(s, sources.get(rid), self) for rid, s in sorted(summaries.items())
        }
        #: the diagnoses the cluster made; DashboardState takes them instead of diagnosing
        self.diagnoses: dict[str, Diagnosis] = {rid: s.diagnosis() for rid, s in summaries.items()}

    @classmethod
    def of(cls, check: Any, config: dict | None = None, **kwargs: Any) -> SummaryCatalog:
        """From a :class:`~curvedoc.diagnostics.distributed.ClusterCheck`."""
        return cls(check.root, check.summaries, check.sources, config=config,
                   warnings=check.warnings, **kwargs)

    def load(self, run: LazyRun) -> pd.DataFrame:
        """Read a run's curves now (empty when it can't be read: its summary has the errors)."""
        from curvedoc.ingest.frames import with_run
        from curvedoc.ingest.model import empty_scalars

        if run._source is None or (run.errors and not run.roles):
            return empty_scalars()
        try:
            frame = self._loader(run._source, self.config)
        except Exception as exc:  # the summary was right; a failed re-read is only shown
            run.warnings.append(f"{run.id}: its curves could not be read again "
                                f"({type(exc).__name__}: {exc})")
            return empty_scalars()
        if "run" not in frame.columns:
            frame = with_run(frame, run.id)
        with self._lock:
            self._loaded[run.id] = run
            self._loaded.move_to_end(run.id)
            while len(self._loaded) > self._keep:
                _, old = self._loaded.popitem(last=False)
                old.unload()
        return frame

    def touch(self, run: LazyRun) -> None:
        with self._lock:
            if run.id in self._loaded:
                self._loaded.move_to_end(run.id)

    def row_of(self, run_id: str, diagnosis: Any) -> dict[str, Any]:
        """The runs-grid row of a run, from its summary (nothing is read)."""
        from curvedoc.dashboard.tables import top_sentence

        run = self.runs[run_id]
        s = run.summary
        diagnosis = diagnosis if diagnosis is not None else s.diagnosis()
        labels = list(getattr(diagnosis, "labels", None) or s.labels)
        possible = list(getattr(diagnosis, "possible_labels", []) or [])
        problems = list(s.errors)
        if getattr(diagnosis, "error", None):
            problems.append(diagnosis.error)
        return {  # the fields of dashboard.tables.run_row, in its order
            "id": s.id, "name": s.name, "group": s.group, "format": s.format,
            "steps": s.last_step or 0, "points": s.n_points, "metric": s.metric,
            "best": s.best, "best_note": s.best_note, "last": s.last, "last_note": s.last_note,
            "labels": labels if labels else ["healthy"],
            "possible": possible,
            "label_text": " ".join([*(labels or ["healthy"]),
                                    *(f"possible {p}" for p in possible)]),
            "top": top_sentence(diagnosis),
            "findings": len(s.findings),
            "problems": "; ".join(problems + list(s.warnings)),
            "live": False,
        }

    def refresh(self) -> set[str]:
        return set()

    def is_live(self, run_id: str, within_s: float = 120) -> bool:
        return False

    def __repr__(self) -> str:
        return f"SummaryCatalog({self.root!r}, {len(self.runs)} runs)"


def open_on_cluster(root: str, address: str, *, idle_timeout: float = 600.0) -> SummaryCatalog:
    """Check ``root`` on the Dask cluster at ``address`` (or ``local[:N]``, stopped once the
    summaries are in) and catalog the summaries; curves are read here when pages ask."""
    from curvedoc.diagnostics.distributed import check_root, connect
    from curvedoc.ingest import fs
    from curvedoc.ingest.config import ConfigError, load_config
    from curvedoc.ingest.discover import normalize_root

    root = normalize_root(root)
    problems: list[str] = []
    try:
        config = load_config(root) if fs.is_local(root) else {}
    except ConfigError as exc:
        config = {}
        problems.append(str(exc))
    with connect(address) as client:
        found = check_root(root, client, config, idle_timeout=idle_timeout)
    catalog = SummaryCatalog.of(found, config)
    catalog.warnings[:0] = problems
    return catalog
