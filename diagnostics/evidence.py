"""Small helpers rules use to word their messages and fill their evidence."""

from __future__ import annotations

import numpy as np

from curvedoc.ingest.roles import component, meaning

from .curves import Curve, Curves
from .findings import Evidence, Finding, Severity


class Skip(Exception):
    """Raised by a rule that cannot judge a run; the reason lands in Diagnosis.skipped."""


def train_loss_and_chance(c: Curves) -> tuple[Curve, float]:
    """The training loss and the chance loss ln(C); Skip saying which one is missing."""
    t = c.get("train_loss")
    if t is None:
        raise Skip("no training loss logged")
    chance = c.chance_loss
    if chance is None:
        raise Skip(f"chance loss ln(C) unknown: {c.num_classes[1]}")
    return t, chance


def never_moved(c: Curve, share: float = 0.01, points: int = 10) -> bool:
    """Whether a loss stayed within ``share`` of its level from its first point to its last,
    over ``points`` points or more: the weights barely changed (a network that learns
    anything, or sits at a minimum under minibatch noise, moves its loss more)."""
    if not (c.is_loss and c.n >= points):
        return False
    level = float(np.median(c.y))
    return level > 0 and float(np.ptp(c.y)) <= share * level


def first_mean_over_chance(c: Curves, t: Curve) -> float | None:
    """Where a training loss's first point is a mean over the first epoch (or logging
    interval), not a loss before any update: that mean as a multiple of ln(C); None when
    C is unknown or the first point was logged at initialisation. Far above 1, the loss
    was thrown far above chance within the first epoch (or began there)."""
    chance = c.chance_loss if t.is_loss else None
    if chance is None or chance <= 0 or c.at_init(t) or not t.aggregated or not len(t.y):
        return None
    return float(t.y[0]) / chance


def train_and_val_loss(c: Curves, min_points: int, needs: str) -> tuple[Curve, Curve]:
    """The training and validation losses, on axes that agree, with ``min_points``
    validation points; Skip saying what is missing (``needs``: what the rule needs them for,
    "the gap needs"). Where the run switched its augmentation off near the end
    (``Curves.augmentation_off``), both as far as they were logged before."""
    v, t = c.get("val_loss"), c.get("train_loss")
    if v is None or t is None:
        raise Skip("needs a training and a validation loss")
    if len(v.y) < min_points:
        raise Skip(f"only {len(v.y)} validation points; {needs} {min_points}")
    if c.axes_differ:
        raise Skip(c.axes_differ)
    off = c.augmentation_off
    if off is not None and len(v.before(off).y) >= min_points:
        # the two compared only where training was measured as it was trained
        return t.before(off), v.before(off)
    return t, v


def answered_plateaus(c: Curves, cuts: int, evals: int) -> bool:
    """Whether the logged learning rate came down in steps again and again (``cuts`` times
    or more after its peak), the first after validation had gone ``evals`` evaluations
    without a new best: what Keras's and PyTorch's ReduceLROnPlateau do. Each cut answered
    a plateau; none cut a loss still falling."""
    lr, v = c.get("lr"), c.val
    if lr is None or lr.n < 3 or v is None or c.axes_differ:
        return False
    lx, lv = lr.x_all, np.abs(lr.y_all)
    after = lv[int(np.argmax(lv)):]
    down = np.flatnonzero(after[1:] < after[:-1] * (1 - 1e-6))
    if len(down) < cuts:
        return False
    before = v.y[v.x < lx[int(np.argmax(lv)) + down[0] + 1]]  # validation before the first cut
    return len(before) > evals and len(before) - 1 - int(np.argmin(before)) >= evals


def num(x: float) -> str:
    """A number with three significant digits (0.0123, 1.23, 1,234)."""
    if x is None or not np.isfinite(x):
        return str(x)
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 1 or ax == 0:
        return f"{x:.3g}"
    return f"{x:.3g}"


def step(s: float) -> str:
    """A step number with thousands separators."""
    return f"{round(float(s)):,}"


def pct(x: float) -> str:
    """A fraction as a whole percentage (0.38 -> '38%')."""
    return f"{100 * x:.0f}%"


def what(c: Curve) -> str:
    """How a curve is named in a message, after the metric as logged: 'training loss',
    'validation accuracy', 'validation f1 (eval_f1)', 'training reward (train/reward)',
    'validation obj loss (val/obj_loss)'."""
    if c.role in ("lr", "grad_norm"):
        return {"lr": "learning rate", "grad_norm": "gradient norm"}[c.role]
    who = "training" if c.role.startswith("train") else "validation"
    metric = meaning(c.tag).metric
    if metric in (None, "loss", "losses") and not c.higher_is_better:
        # a component of the loss by its name: 'validation obj loss (val/obj_loss)'
        part = component(c.tag)
        return f"{who} {part} loss ({c.tag})" if part else f"{who} loss"
    if metric in (None, "acc", "accuracy") and c.kind == "error":
        return f"{who} accuracy"
    return f"{who} {metric or 'score'} ({c.tag})"


def overfitting_advice(best_step: float) -> list[str]:
    """What to do about a model that memorises, stopping at ``best_step``."""
    return [
        f"stop at step {step(best_step)} (restore that checkpoint; use early stopping)",
        "get more data or augment it",
        "add weight decay or dropout",
        "use a smaller model, or start from a pre-trained one",
    ]


def confidence(margin: float, lo: float = 0.55, hi: float = 0.95) -> float:
    """Map how far past its threshold a measure is (0 = at it, 1 = double) to lo..hi."""
    return float(np.clip(lo + (hi - lo) * margin, lo, hi))


def finding(severity: Severity, conf: float, message: str, advice, evidence: Evidence | dict
            ) -> Finding:
    """A Finding without its code and label (the engine fills both from the code table).

    ``evidence`` is an :class:`Evidence`, or the keywords of :meth:`Evidence.of`."""
    ev = evidence if isinstance(evidence, Evidence) else Evidence.of(**evidence)
    return Finding("", None, severity, float(conf), message, list(advice), ev)


def window(c: Curve, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """The binned points of a curve with start <= step <= end."""
    m = (c.x >= start) & (c.x <= end)
    return c.x[m], c.y[m]
