"""Diagnose the runs of a root, reusing the summaries its cache kept of unchanged runs.

A run's stored summary is used when the run's files have the same idents and the rules
(their code, the thresholds, the config, the selection) are the same: such a run is
neither read nor diagnosed again. Every other run is read and diagnosed (see
:func:`curvedoc.diagnostics.batch.diagnose_all`) and its summary stored.

    stored = StoredRuns(select, ignore)
    catalog = Catalog(root)
    catalog.load(known=stored.known(catalog))   # as curvedoc check does
    diagnoses = stored.diagnose(catalog)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from curvedoc.ingest.cache import RunSummary, rules_key, run_key, summarize
from curvedoc.ingest.model import Run, RunSource, empty_scalars

from .batch import diagnose_all
from .findings import Diagnosis


class StoredRuns:
    """The runs of one catalog whose stored summaries hold, and their diagnoses."""

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None):
        self.select, self.ignore = list(select or []), list(ignore or [])
        self.diagnoses: dict[str, Diagnosis] = {}
        #: the summaries used, by run id (their runs have no scalars: the summary's judged
        #: metric, best and last value stand in for them, e.g. in ``check --compare``)
        self.summaries: dict[str, RunSummary] = {}

    def _rules(self, catalog: Any) -> str:
        return rules_key(catalog.config, self.select, self.ignore)

    def known(self, catalog: Any) -> Callable[[RunSource], Run | None]:
        """For ``Catalog.load(known=...)``: the run of a source whose summary holds, as the
        summary describes it (no scalars), else None (the run is read)."""
        store = catalog.cache.summaries if catalog.cache is not None else None
        if store is None:
            return lambda source: None
        rules = self._rules(catalog)

        def known(source: RunSource) -> Run | None:
            key = run_key(source, rules)
            summary = store.get(key) if key is not None else None
            diagnosis = _diagnosis(summary.diagnosis) if summary is not None else None
            if summary is None or diagnosis is None or diagnosis.run_id != source.id:
                return None
            self.diagnoses[source.id] = diagnosis
            self.summaries[source.id] = summary
            return run_of(summary, source)

        return known

    def diagnose(
        self,
        catalog: Any,
        *,
        jobs: int | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> dict[str, Diagnosis]:
        """Diagnosis per run id of ``catalog``, in its order: the stored ones, and the others
        diagnosed now (their summaries stored)."""
        known = {rid: d for rid, d in self.diagnoses.items() if rid in catalog.runs}
        if known and on_done:
            on_done(len(known))
        todo = {rid: run for rid, run in catalog.runs.items() if rid not in known}
        if todo:
            _import_scipy()
        fresh = diagnose_all(todo, catalog.config, select=self.select, ignore=self.ignore,
                             jobs=jobs, on_done=on_done) if todo else {}
        store = catalog.cache.summaries if catalog.cache is not None else None
        if store is not None and fresh:
            rules = self._rules(catalog)
            for rid, diagnosis in fresh.items():
                key = catalog.run_key(rid, rules)
                if key is not None:
                    store.put(key, summarize(catalog.runs[rid], exact_dict(diagnosis)))
        return {rid: known[rid] if rid in known else fresh[rid] for rid in catalog.runs}


def run_of(summary: RunSummary, source: RunSource) -> Run:
    """The Run a summary describes, without its scalars."""
    return Run(id=summary.run_id, name=summary.name, format=summary.format,
               sources=list(source.files), hparams=dict(summary.hparams),
               roles=dict(summary.roles), errors=list(summary.errors),
               warnings=list(summary.warnings), scalars=_empty().copy(deep=False))


@functools.lru_cache(maxsize=1)
def _empty():
    return empty_scalars()  # ~1 ms to build: once, not once per run


def exact_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    """``to_dict()`` with each finding's confidence as computed (not rounded), so that a
    diagnosis read back orders its findings exactly as the fresh one did."""
    data = diagnosis.to_dict()
    for out, finding in zip(data["findings"], diagnosis.findings, strict=True):
        out["confidence"] = float(finding.confidence)
    return data


def _import_scipy() -> None:
    """Import what the rules import lazily, once here: the diagnosing processes are forked
    from this one and would otherwise each import scipy (seconds of CPU per process)."""
    import scipy.ndimage
    import scipy.optimize
    import scipy.signal
    import scipy.special  # noqa: F401


def _diagnosis(data: dict[str, Any]) -> Diagnosis | None:
    try:
        return Diagnosis.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
