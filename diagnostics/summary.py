"""A run's diagnosis and its key figures, without its curves: what a cluster worker sends back.

A :class:`RunSummary` is a few hundred bytes however many points the run has, so a client
can hold one per run for 100k runs. It carries everything ``curvedoc check`` prints (the
``--format json`` row) and what the dashboard's runs grid shows (steps, points, the judged
metric's best and last value); the curves stay where they were read.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from curvedoc.ingest.model import Run

from .findings import Diagnosis, Finding


@dataclass(slots=True)
class RunSummary:
    """One run: identity, diagnosis (findings top first), problems, and its key figures."""

    id: str
    name: str
    format: str
    roles: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    n_points: int = 0
    last_step: int | None = None
    #: the tag the best/last figures are of ("" when the run has no loss or accuracy)
    metric: str = ""
    best: float | None = None
    last: float | None = None
    #: "NaN", "+inf" or "-inf" when best/last is None for a non-finite value ("" otherwise)
    best_note: str = ""
    last_note: str = ""

    @property
    def group(self) -> str:
        """The folder that holds the run ("." at the root), as ``Run.group``."""
        base = self.id.split("#", 1)[0]
        return base.rsplit("/", 1)[0] if "/" in base else "."

    def diagnosis(self) -> Diagnosis:
        """The run's :class:`Diagnosis` again (its findings, top first)."""
        return Diagnosis(self.id, list(self.findings))

    def to_row(self) -> dict[str, Any]:
        """The run's row of ``curvedoc check --format json``."""
        return {
            "run": self.id, "name": self.name, "format": self.format,
            "roles": dict(self.roles), "labels": list(self.labels),
            "findings": [f.to_dict() for f in self.findings],
            "errors": list(self.errors), "warnings": list(self.warnings),
        }


def summarize(run: Run, diagnosis: Diagnosis | None) -> RunSummary:
    """The summary of a read run and its diagnosis (None: not diagnosed). Its figures are
    the cache's (:func:`curvedoc.ingest.cache.summaries.summarize`), so a run lists the
    same from a cluster as from a local check."""
    from curvedoc.ingest.cache.summaries import _values_by_step
    from curvedoc.ingest.cache.summaries import summarize as figures_of

    figures = figures_of(run, {})
    values = _values_by_step(run.scalars, figures.metric) if figures.metric else []
    best_note = "NaN" if len(values) and figures.best is None else ""
    last_note = _nonfinite(float(values[-1])) if len(values) else ""
    return RunSummary(
        id=run.id, name=run.name, format=run.format, roles=dict(run.roles),
        labels=list(diagnosis.labels) if diagnosis else [],
        findings=top_first(diagnosis) if diagnosis else [],
        errors=list(run.errors), warnings=list(run.warnings), hparams=dict(run.hparams),
        sources=tuple(run.sources), n_points=figures.points,
        last_step=figures.steps if figures.points else None,
        metric=figures.metric, best=figures.best, last=figures.last,
        best_note=best_note, last_note=last_note,
    )


def _nonfinite(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "" if math.isfinite(x) else ("+inf" if x > 0 else "-inf")


def compact(summary: RunSummary) -> RunSummary:
    """The summary with its repeated strings shared (``sys.intern``): rule codes, labels,
    advice, role and tag names arrive as fresh copies in every unpickled summary, and are
    most of its memory on a client that holds 100k of them."""
    s = summary
    s.format = sys.intern(s.format)
    s.labels = [sys.intern(x) for x in s.labels]
    s.roles = {sys.intern(k): sys.intern(v) for k, v in s.roles.items()}
    s.metric = sys.intern(s.metric)
    for f in s.findings:
        f.code, f.severity = sys.intern(f.code), sys.intern(f.severity)
        f.label = sys.intern(f.label) if f.label else f.label
        f.advice = [sys.intern(a) for a in f.advice]
        f.evidence.tags = [sys.intern(t) for t in f.evidence.tags]
        f.evidence.numbers = {sys.intern(k): _shared(v) for k, v in f.evidence.numbers.items()}
    return s


def _shared(value: Any) -> Any:
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, list):
        return [_shared(v) for v in value]
    return value


def failed(run_id: str, name: str, fmt: str, error: str) -> RunSummary:
    """The summary of a run that could not be read or diagnosed: listed, with its error."""
    return RunSummary(id=run_id, name=name, format=fmt, errors=[error])


def top_first(d: Diagnosis) -> list[Finding]:
    """The findings with the top one first (the order ``check`` prints them in)."""
    top = d.top
    return ([top] if top else []) + [f for f in d.findings if f is not top]
