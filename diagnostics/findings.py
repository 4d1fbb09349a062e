"""What the rules return: a Finding per observation, a Diagnosis per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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

SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    """One observation on a run's curves, with the evidence that decided it."""

    code: str
    label: str | None
    severity: str
    confidence: float
    message: str
    advice: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (numpy numbers become Python numbers, NaN becomes None)."""
        out = asdict(self)
        out["confidence"] = round(float(self.confidence), 3)
        out["evidence"] = _plain(self.evidence)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The Finding of a :meth:`to_dict` (KeyError/TypeError for anything else)."""
        return cls(code=str(data["code"]), label=data["label"], severity=str(data["severity"]),
                   confidence=float(data["confidence"]), message=str(data["message"]),
                   advice=[str(a) for a in data["advice"]], evidence=dict(data["evidence"]))


@dataclass
class Diagnosis:
    """All findings for one run; ``labels`` is the sorted set of their labels."""

    run_id: str
    findings: list[Finding] = field(default_factory=list)
    #: rule code -> why that rule could not judge this run (e.g. ln(C) unknown)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return sorted({f.label for f in self.findings if f.label})

    @property
    def top(self) -> Finding | None:
        """The finding to show first: labelled before unlabelled, then by severity."""
        if not self.findings:
            return None
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return min(
            self.findings,
            key=lambda f: (f.label is None, order.get(f.severity, 9), -f.confidence),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "labels": self.labels,
            "findings": [f.to_dict() for f in self.findings],
            "skipped": dict(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        """The Diagnosis of a :meth:`to_dict` (KeyError/TypeError for anything else)."""
        return cls(run_id=str(data["run"]),
                   findings=[Finding.from_dict(f) for f in data["findings"]],
                   skipped={str(k): str(v) for k, v in dict(data["skipped"]).items()})


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
