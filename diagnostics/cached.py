"""Diagnose the runs of a catalog, reusing the summaries its cache kept of unchanged runs.

A run's stored summary is used when the run's files have the same idents and the rules
(their code, the thresholds, the config, the selection) are the same; every other run is
diagnosed (see :func:`curvedoc.diagnostics.batch.diagnose_all`) and its summary stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from curvedoc.ingest.cache import RunKey, rules_key, summarize

from .batch import diagnose_all
from .findings import Diagnosis


def diagnose_catalog(
    catalog: Any,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    jobs: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> dict[str, Diagnosis]:
    """Diagnosis per run id of ``catalog`` (a :class:`curvedoc.ingest.Catalog`), in its order."""
    select, ignore = list(select or []), list(ignore or [])
    cache = getattr(catalog, "cache", None)
    store = cache.summaries if cache is not None else None
    known: dict[str, Diagnosis] = {}
    keys: dict[str, RunKey] = {}
    if store is not None:
        rules = rules_key(catalog.config, select, ignore)
        for rid in catalog.runs:
            key = catalog.run_key(rid, rules)
            summary = store.get(key) if key is not None else None
            diagnosis = _diagnosis(summary.diagnosis) if summary is not None else None
            if diagnosis is not None and diagnosis.run_id == rid:
                known[rid] = diagnosis
            elif key is not None:
                keys[rid] = key
        if known and on_done:
            on_done(len(known))
    todo = {rid: run for rid, run in catalog.runs.items() if rid not in known}
    fresh = diagnose_all(todo, catalog.config, select=select, ignore=ignore, jobs=jobs,
                         on_done=on_done) if todo else {}
    if store is not None:
        for rid, key in keys.items():
            store.put(key, summarize(catalog.runs[rid], exact_dict(fresh[rid])))
    return {rid: known[rid] if rid in known else fresh[rid] for rid in catalog.runs}


def exact_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    """``to_dict()`` with each finding's confidence as computed (not rounded), so that a
    diagnosis read back orders its findings exactly as the fresh one did."""
    data = diagnosis.to_dict()
    for out, finding in zip(data["findings"], diagnosis.findings, strict=True):
        out["confidence"] = float(finding.confidence)
    return data


def _diagnosis(data: dict[str, Any]) -> Diagnosis | None:
    try:
        return Diagnosis.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
