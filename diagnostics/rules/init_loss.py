"""Loss at initialisation far above the chance loss ln(C).

What it detects
    The training loss at the first logged step is several times the loss of a
    classifier that guesses uniformly, ln(C) for C classes. C comes from the
    run's hparams (``num_classes``, ``n_classes``, ...), from ``num_classes`` in
    the config, or from the accuracy at init (about 1/C). When C is unknown the
    check is skipped and the diagnosis says so.

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

from dataclasses import dataclass

from ..curves import Curves
from ..evidence import Skip, confidence, finding, num, step, train_loss_and_chance

LABEL = "bad_init"
NAME = "init-loss-above-chance"
SUMMARY = "loss at the first step is far above the chance loss ln(C)"


@dataclass(frozen=True)
class Thresholds:
    #: Flag a first loss above this multiple of ln(C). A sound init starts within
    #: a few percent of ln(C); 2x leaves room for label smoothing and auxiliary terms.
    max_ratio: float = 2.0
    #: Only judge when the first point is logged within this fraction of the run;
    #: an epoch-averaged first point has already learned.
    max_start_frac: float = 0.02


def check(c: Curves, th: Thresholds):
    t, chance = train_loss_and_chance(c)
    if t.x_all[0] > c.first_step + th.max_start_frac * max(c.span, 1):
        raise Skip("the first training loss is logged too late to be the loss at init")
    loss0 = float(t.y_all[0])
    ratio = loss0 / chance
    if ratio <= th.max_ratio:
        return []
    C, source = c.num_classes
    return [finding(
        "warning", confidence((ratio - th.max_ratio) / th.max_ratio),
        f"training loss at step {step(t.x_all[0])} is {num(loss0)}, {ratio:.1f}x the chance "
        f"loss ln({C}) = {num(chance)}",
        [
            f"check that the loss at init is about -ln(1/{C}) = {num(chance)}",
            "set the last layer's bias to the class priors (or zero) and scale its weights down",
            "use He/Xavier initialisation and normalise the inputs",
        ],
        {
            "tags": [t.tag], "start_step": int(t.x_all[0]),
            "end_step": int(t.x_all[0]),
            "loss_at_init": loss0, "chance_loss": chance, "num_classes": C,
            "num_classes_source": source, "ratio": ratio,
        },
    )]
