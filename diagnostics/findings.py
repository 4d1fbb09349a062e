"""What the rules return: a Finding per observation, a Diagnosis per run.

A rule builds a :class:`Finding` with :func:`curvedoc.diagnostics.evidence.finding`; the
engine fills in its ``code`` and ``label`` from the rule's entry in the code table, so a
rule never repeats either. What a finding shows on a chart is typed (:class:`Evidence`:
tags, step span, best step, LR cut, forecast); the numbers that decided it are in
``Evidence.numbers``.

A labelled finding whose ``confidence`` is below :data:`POSSIBLE_BELOW` is *possible*:
it is listed (in the JSON with ``"possible": true``, in the UI and the text output marked
"possible"), but it adds no label to the run and never makes ``check`` exit 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np

#: The six diagnoses, in the order the course notes list them.
LABELS = (
    "bad_init",
    "lr_too_high",
    "decayed_too_early",
    "keep_training",
    "overfitting",
    "underfitting",
)

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

#: Below this (calibrated) confidence a labelled finding is only "possible": shown, but
#: not counted in ``Diagnosis.labels`` nor in the exit code of ``curvedoc check``.
POSSIBLE_BELOW = 0.5


@dataclass(frozen=True)
class Forecast:
    """A fitted saturating curve's forecast of the metric (in the logged unit)."""

    model: str
    r2: float
    steps: tuple[int, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass
class Evidence:
    """Where a finding shows on the curves, and the numbers that decided it.

    ``start_step``/``end_step`` are the span to shade; ``best_step`` the step to stop at;
    ``lr_cut_step`` where the learning rate was cut; ``forecast`` the keep-training band;
    ``metric`` the logged tag the finding is about (one of several evaluation sets, say).
    """

    tags: list[str] = field(default_factory=list)
    start_step: int | None = None
    end_step: int | None = None
    best_step: int | None = None
    lr_cut_step: int | None = None
    forecast: Forecast | None = None
    metric: str | None = None
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A flat, JSON-safe dict: the typed fields that are set, then the numbers."""
        out: dict[str, Any] = {"tags": list(self.tags)}
        for f in fields(self):
            if f.name in ("tags", "numbers"):
                continue
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = asdict(value) if isinstance(value, Forecast) else value
        out.update({k: v for k, v in self.numbers.items() if k not in out})
        return _plain(out)

    @classmethod
    def of(cls, **values: Any) -> Evidence:
        """Evidence from keywords: the typed fields by name (``forecast`` as a Forecast or
        its dict), every other keyword a number that decided the finding."""
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """The inverse of :meth:`to_dict` (a stored finding read back)."""
        data = dict(data or {})
        typed = {f.name for f in fields(cls)} - {"numbers", "forecast"}
        kw = {k: data.pop(k) for k in list(data) if k in typed}
        kw["tags"] = [str(t) for t in kw.get("tags") or []]
        fc = data.pop("forecast", None)
        forecast = fc if isinstance(fc, Forecast) else None
        if isinstance(fc, dict):
            forecast = Forecast(fc["model"], fc["r2"], *(tuple(fc[k]) for k in
                                                        ("steps", "mean", "low", "high")))
        return cls(**kw, forecast=forecast, numbers=data)


@dataclass
class Finding:
    """One observation on a run's curves, with the evidence that decided it."""

    code: str
    label: str | None
    severity: Severity
    confidence: float
    message: str
    advice: list[str] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def possible(self) -> bool:
        """A labelled finding too unsure to label the run (see :data:`POSSIBLE_BELOW`)."""
        return self.label is not None and self.confidence < POSSIBLE_BELOW

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (numpy numbers become Python numbers, NaN becomes None)."""
        return {
            "code": self.code, "label": self.label, "severity": self.severity,
            "confidence": round(float(self.confidence), 3), "possible": self.possible,
            "message": self.message, "advice": list(self.advice),
            "evidence": self.evidence.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`."""
        return cls(data["code"], data.get("label"), data["severity"],
                   float(data["confidence"]), data["message"], list(data.get("advice") or []),
                   Evidence.from_dict(data.get("evidence") or {}))


@dataclass
class Diagnosis:
    """All findings for one run; ``labels`` is the sorted set of their sure labels."""

    run_id: str
    findings: list[Finding] = field(default_factory=list)
    #: rule code -> why that rule could not judge this run (e.g. ln(C) unknown)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Labels of the findings that are not merely possible."""
        return sorted({f.label for f in self.findings if f.label and not f.possible})

    @property
    def possible_labels(self) -> list[str]:
        """Labels only possible findings point to (and no sure one does)."""
        sure = set(self.labels)
        return sorted({f.label for f in self.findings if f.possible} - sure)

    @property
    def top(self) -> Finding | None:
        """The finding to show first: sure labels, then possible ones, then the rest;
        within each by severity, then confidence."""
        if not self.findings:
            return None
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return min(
            self.findings,
            key=lambda f: (f.label is None, f.possible, order.get(f.severity, 9),
                           -f.confidence),
        )

    def ordered(self) -> list[Finding]:
        """The top finding first, then the others in the order the rules found them."""
        top = self.top
        return ([top] if top else []) + [f for f in self.findings if f is not top]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "labels": self.labels,
            "findings": [f.to_dict() for f in self.findings],
            "skipped": dict(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        return cls(data["run"], [Finding.from_dict(f) for f in data.get("findings") or []],
                   dict(data.get("skipped") or {}))


def _plain(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays into JSON-safe Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if np.isfinite(f) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value
