"""Loss at initialisation far above the chance loss ln(C).

What it detects
    The training loss at the first logged step (or a validation loss measured
    before the first update) is several times the loss of a classifier that
    guesses uniformly, ln(C) for C classes. C comes from the
    run's hparams (``num_classes``, ``n_classes``, ``num_labels``, ``nc``, ...),
    from ``num_classes`` in the config, from per-class metric tags, or from an
    accuracy logged before the first update (about 1/C). When C is unknown, a
    classifier (an accuracy logged) whose loss is a mean per example (it ends on the
    scale of its validation loss, not a sum over a batch) is judged against the most a
    uniform guess can cost, ln(10,000): above that, the init is bad whatever its class
    count. Otherwise the check is skipped and the diagnosis says so. Only a loss logged before any
    update counts: a first point at a later step, or an average over the first
    epoch (an ``_epoch`` tag, a table logged once per epoch), has already
    learned, and the check is skipped.

Why it matters
    A freshly initialised network should be unsure of every class, so its loss
    should be close to -ln(1/C). A much larger loss means confident wrong
    predictions at step 0 (too large weights, a bias that favours one class,
    unnormalised inputs); the first part of training is spent undoing the
    initialisation instead of learning ("hockey stick").

Evidence
    The first logged loss, ln(C), their ratio, and where C came from.

Advice
    Check the loss at init equals -ln(1/C); set the last layer's bias to the
    class priors (or zero); use He/Xavier initialisation; normalise the inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, step, train_loss_and_chance
from ..stats import last_tenth

LABEL = "bad_init"
NAME = "init-loss-above-chance"
SUMMARY = "loss at the first step is far above the chance loss ln(C)"


@dataclass(frozen=True)
class Thresholds:
    #: Flag a first loss above this multiple of ln(C). A sound init starts within
    #: a few percent of ln(C); 2x leaves room for label smoothing and auxiliary terms.
    max_ratio: float = 2.0
    #: A first point that averages an epoch (or a logging interval) is flagged above this
    #: multiple: the loss at init was at least as high as that average, but a high
    #: learning rate can also lift a first epoch's mean a little.
    max_ratio_averaged: float = 3.0
    #: With C unknown, a classifier's first loss is judged against ln of this many classes
    #: (more than almost any classifier has): above ``max_ratio`` of it, whatever C is.
    max_classes: int = 10_000
    #: ...where its training loss ends within this multiple of its validation loss (a mean
    #: per example, like validation's; a loss summed over a batch is far larger).
    same_scale: float = 3.0


def check(c: Curves, th: Thresholds):
    try:
        t, chance = train_loss_and_chance(c)
        C, source = c.num_classes
    except Skip:
        if not _classifier_of_unknown_c(c, th):
            raise
        t, chance = c.get("train_loss"), math.log(th.max_classes)
        C, source = None, f"unknown, so at most {th.max_classes:,}"
    t = t.finest
    v = c.get("val_loss")
    if not c.at_init(t) and v is not None and c.at_init(v.finest):
        t = v.finest  # a validation pass before the first update measures the init too
    at_init = c.at_init(t)
    if not at_init and not t.aggregated:
        raise Skip(f"the first training loss is logged at step {t.steps[0]:,}, after updates, "
                   "so it is not the loss at init")
    if not t.finite[0]:
        raise Skip("the first training loss is not finite")
    loss0 = float(t.raw[0])
    ratio = loss0 / chance
    limit = th.max_ratio if at_init else th.max_ratio_averaged
    if ratio <= limit:
        return []
    s0 = step(t.steps[0])
    who = "validation" if t.role.startswith("val") else "training"
    said = (f"{who} loss at step {s0} (before any update) is {num(loss0)}" if at_init else
            f"the first logged training loss (step {s0}, an average over the first epoch or "
            f"logging interval, so the loss at init was higher still) is {num(loss0)}")
    return [finding(
        "warning", confidence((ratio - limit) / limit),
        f"{said}, {ratio:.1f}x the chance loss ln({C}) = {num(chance)}" if C else
        f"{said}, {ratio:.1f}x the chance loss of {th.max_classes:,} classes (ln = "
        f"{num(chance)}): above chance whatever the class count (unknown: name "
        "num_classes in the hparams or config)",
        [
            f"check that the loss at init is about -ln(1/{C or 'C'})"
            + (f" = {num(chance)}" if C else " for C classes"),
            "set the last layer's bias to the class priors (or zero) and scale its weights down",
            "use He/Xavier initialisation and normalise the inputs",
        ],
        {
            "tags": [t.tag], "start_step": int(t.steps[0]), "end_step": int(t.steps[0]),
            "loss_at_init": loss0, "chance_loss": chance, "num_classes": C,
            "num_classes_source": source, "ratio": ratio, "averaged": not at_init,
        },
    )]


def _classifier_of_unknown_c(c: Curves, th: Thresholds) -> bool:
    """Whether the run is a classifier (an accuracy proper logged) whose training loss is a
    mean per example: it ends within ``same_scale`` of its validation loss."""
    t, v = c.get("train_loss"), c.get("val_loss")
    accuracy = any(a is not None and a.is_accuracy for a in (c.get("train_acc"), c.get("val_acc")))
    if t is None or v is None or not accuracy or c.axes_differ:
        return False
    t_end, v_end = last_tenth(t.y), last_tenth(v.y)
    return t_end > 0 and v_end > 0 and max(t_end / v_end, v_end / t_end) <= th.same_scale
