"""No validation metric logged, so overfitting cannot be judged.

What it detects
    The run has no tag in the role val_loss or val_acc.

Why it matters
    A training curve alone cannot show overfitting: training loss keeps
    falling while a model memorises. Without a held-out metric there is also
    no best step to stop at.

Evidence
    The roles that were found.

Advice
    Log a validation loss (and accuracy) every epoch or every N steps; if the
    tag has an unusual name, map it in ``[tool.curvedoc.roles]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..curves import Curves
from ..evidence import finding

LABEL = None
NAME = "no-validation"
SUMMARY = "no validation metric logged; overfitting cannot be judged"


@dataclass(frozen=True)
class Thresholds:
    """This rule has no thresholds."""


def check(c: Curves, th: Thresholds):
    if c.val is not None:
        return []
    found = sorted(c.curves)
    return [finding(
        "info", 1.0,
        "no validation metric logged, so overfitting cannot be judged"
        + (f" (roles found: {', '.join(found)})" if found else " (no roles recognised)"),
        [
            "log a validation loss (and accuracy) every epoch or every N steps",
            "if it is logged under an unusual name, map it in [tool.curvedoc.roles]",
        ],
        {"tags": [], "start_step": c.first_step, "end_step": c.last_step, "roles": found},
    )]
