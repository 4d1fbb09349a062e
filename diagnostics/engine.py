"""diagnose(run) -> Diagnosis: run every selected rule, then resolve overlaps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from curvedoc.ingest.model import Run
from curvedoc.ingest.roles import eval_sets, loss_components

from .calibration_table import TABLE as _TABLE
from .curves import Curves
from .evidence import Skip
from .findings import Diagnosis, Finding
from .registry import RULES, matches
from .thresholds import resolve

#: code -> (raw points, calibrated values): each rule's confidence mapped to how often its
#: findings were right (benchmarks/fit_calibration.py writes the table).
CALIBRATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    code: (xs, ys) for code, (xs, ys, _) in _TABLE.items()}

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
    "decayed_too_early": ("underfitting",),
    "overfitting": ("keep_training", "underfitting"),
    "bad_init": ("underfitting",),
    "keep_training": ("underfitting",),
}

#: A finding that explains (or repeats) another drops it: a smooth loss stuck at ln(C) from
#: the first step is a dead network, not a too-high rate's plateau nor an ordinary underfit;
#: a training loss that never improved (CD202) fitted nothing, so a validation loss that
#: rises beside it is the same instability, not memorisation; a validation loss that rises
#: from its best (CD501) says all the gap rule would; a too-high rate's bouncing or
#: oscillation already says the curve is noisy (CD902); a validation loss that zigzags
#: (CD204) rises between its jumps because the rate is unstable, not from memorisation; nor
#: does one worse from its first evaluation beside a training loss that jumps back (CD205);
#: both losses jumping up at once (CD206) explain a validation loss above its best after it,
#: and the flat stretch while the run climbs back is no hockey-stick start (CD102).
EXPLAINS = {"CD103": ("CD202", "CD203", "CD601"), "CD202": ("CD501", "CD502", "CD503", "CD902"),
            "CD204": ("CD501", "CD502", "CD503"), "CD205": ("CD501", "CD502", "CD503"),
            "CD206": ("CD102", "CD501", "CD502", "CD503"),
            "CD501": ("CD503",), "CD203": ("CD902",)}


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
    chosen = [(code, rule) for code, rule in RULES.items()
              if not ((select and not matches(rule, select)) or matches(rule, ignore))]
    found = _run_rules(chosen, curves, config, diagnosis)
    tags = [str(t) for t in run.scalars["tag"].unique()] if len(run.scalars) else []
    found += _on_eval_sets(run, tags, curves, chosen, config, found)
    found += _on_components(run, tags, curves, chosen, config)
    diagnosis.findings = resolve_overlaps(found)
    return diagnosis


def _on_eval_sets(run: Run, tags: list[str], curves: Curves, chosen, config,
                  found: list[Finding]) -> list[Finding]:
    """Each further evaluation set judged on its own by the rules that read validation;
    where there are several, every finding (``found`` too) names the set it is about."""
    others = eval_sets(tags, run.roles)
    if others:
        for f in found:
            if RULES[f.code].per_eval_set:
                f.message = f"on {run.roles['val_loss']}: {f.message}"
    per_set = [(code, rule) for code, rule in chosen if rule.per_eval_set]
    out: list[Finding] = []
    for other in others:
        roles = {k: v for k, v in run.roles.items() if k not in ("val_loss", "val_acc")}
        roles.update({"val_loss": other.loss} | ({"val_acc": other.score} if other.score
                                                 else {}))
        for f in _run_rules(per_set, curves.for_roles(roles), config, None):
            f.evidence.metric = other.loss
            f.message = f"on evaluation set {other.name} ({other.loss}): {f.message}"
            out.append(f)
    return out


def _on_components(run: Run, tags: list[str], curves: Curves, chosen,
                   config) -> list[Finding]:
    """Each further component of the loss (a detector's objectness loss beside the box
    loss the curves judge), training's beside validation's, judged on its own by the rules
    that read a validation loss's rise or spikes."""
    judged = {role: curve.tag for role, curve in curves.curves.items()}
    per_part = [(code, rule) for code, rule in chosen if rule.per_component]
    out: list[Finding] = []
    for part in loss_components(tags, judged):
        roles = {k: v for k, v in run.roles.items() if k not in ("train_acc", "val_acc")}
        roles.update(train_loss=part.train, val_loss=part.val)
        of_part = curves.for_roles(roles)
        if any(getattr(of_part.get(role), "tag", None) != roles[role]
               for role in ("train_loss", "val_loss")):
            continue  # (a part at zero in every row gave way to another term: judged)
        for f in _run_rules(per_part, of_part, config, None):
            f.evidence.metric = part.val  # (the message names it: 'validation obj loss')
            out.append(f)
    return out


def _run_rules(rules, curves: Curves, config, diagnosis: Diagnosis | None) -> list[Finding]:
    """Every rule's findings on one set of curves, each with its code and label filled in;
    a rule that cannot judge says why in ``diagnosis.skipped`` (when given)."""
    found: list[Finding] = []
    for code, rule in rules:
        th = resolve(rule, config)
        try:
            out = rule.check(curves, th)
        except Skip as why:
            if diagnosis is not None:
                diagnosis.skipped[code] = str(why)
            continue
        except Exception as exc:  # a rule bug must not take the whole check down
            if diagnosis is not None:
                diagnosis.skipped[code] = f"internal error: {type(exc).__name__}: {exc}"
            continue
        for f in out:
            f.code, f.label = code, rule.label
            if code in CALIBRATION:
                f.confidence = float(np.interp(f.confidence, *CALIBRATION[code]))
            if f.evidence.metric is None and f.evidence.tags:
                f.evidence.metric = f.evidence.tags[0]
        found.extend(out)
    return found


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Apply OVERRIDES_CODES, OVERRIDES_LABELS and EXPLAINS (documented above). Only a
    finding sure enough to label the run overrides or explains another: a merely possible
    one is too unsure to take a finding away."""
    sure = [f for f in findings if not f.possible]
    codes = {f.code for f in sure}
    labels = {f.label for f in sure if f.label}
    keep = []
    for f in findings:
        if f.label and any(c in codes and f.code not in allowed
                           for c, allowed in OVERRIDES_CODES.items()):
            continue
        if f.label and any(f.label in OVERRIDES_LABELS.get(lab, ()) for lab in labels):
            continue
        if any(f.code in EXPLAINS.get(c, ()) for c in codes):
            continue
        keep.append(f)
    return keep
