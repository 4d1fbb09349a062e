"""diagnose(run) -> Diagnosis: run every selected rule, then resolve overlaps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from curvedoc.ingest.model import Run

from .curves import Curves
from .evidence import Skip
from .findings import Diagnosis, Finding
from .registry import RULES, matches
from .thresholds import resolve

#: When a finding with this code is present, labelled findings are dropped except
#: those of the listed codes: a range test is no training run, and after a
#: divergence the rest of the curve says nothing.
OVERRIDES_CODES = {
    "CD905": (),
    "CD201": ("CD101", "CD201"),
}

#: A label that explains another's symptom drops it: a too-high or too-early-cut
#: learning rate explains a poor plateau; a rising validation loss is not "keep
#: training"; a network stuck at chance is no ordinary underfit.
OVERRIDES_LABELS = {
    "lr_too_high": ("underfitting", "keep_training"),
    "decayed_too_early": ("underfitting", "keep_training"),
    "overfitting": ("keep_training", "underfitting"),
    "bad_init": ("underfitting",),
    "keep_training": ("underfitting",),
}

#: Unlabelled findings another finding makes redundant.
REDUNDANT = {"CD203": ("CD902",), "CD202": ("CD902",)}


def diagnose(
    run: Run,
    config: dict[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> Diagnosis:
    """Diagnose one run.

    ``config`` is the curvedoc config (``load_config(root)``): thresholds under
    ``rules.<name or code>``, ``num_classes``. ``select``/``ignore`` take codes,
    code prefixes (``CD2``), rule names or labels. Never raises on a run's data:
    a rule that cannot judge records why in ``Diagnosis.skipped``.
    """
    select = list(select or [])
    ignore = list(ignore or [])
    diagnosis = Diagnosis(run.id)
    curves = Curves.of(run, config)
    if not curves.curves:
        diagnosis.skipped["*"] = "no recognised curves (roles) in this run"
        return diagnosis
    found: list[Finding] = []
    for code, rule in RULES.items():
        if (select and not matches(rule, select)) or matches(rule, ignore):
            continue
        th = resolve(rule, config)
        try:
            out = rule.check(curves, th)
        except Skip as why:
            diagnosis.skipped[code] = str(why)
            continue
        except Exception as exc:  # a rule bug must not take the whole check down
            diagnosis.skipped[code] = f"internal error: {type(exc).__name__}: {exc}"
            continue
        for f in out:
            f.code, f.label = code, rule.label
        found.extend(out)
    diagnosis.findings = resolve_overlaps(found)
    return diagnosis


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Apply OVERRIDES_CODES, OVERRIDES_LABELS and REDUNDANT (documented above)."""
    codes = {f.code for f in findings}
    labels = {f.label for f in findings if f.label}
    keep = []
    for f in findings:
        if f.label and any(c in codes and f.code not in allowed
                           for c, allowed in OVERRIDES_CODES.items()):
            continue
        if f.label and any(f.label in OVERRIDES_LABELS.get(lab, ()) for lab in labels):
            continue
        if any(f.code in REDUNDANT.get(c, ()) for c in codes):
            continue
        keep.append(f)
    return keep
