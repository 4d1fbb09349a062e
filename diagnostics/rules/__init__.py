"""The rules, one module each. ``CODES`` is the one table of stable codes.

Codes are grouped by label like ruff's: CD1xx bad_init, CD2xx lr_too_high,
CD3xx decayed_too_early, CD4xx keep_training, CD5xx overfitting,
CD6xx underfitting, CD9xx extra findings without a label. A code never
changes meaning; a retired rule's code is not reused.
"""

#: stable code -> module name under diagnostics/rules/
CODES = {
    "CD101": "init_loss",
    "CD102": "hockey_stick",
    "CD103": "stuck_at_chance",
    "CD201": "divergence",
    "CD202": "high_plateau",
    "CD203": "oscillation",
    "CD204": "val_zigzag",
    "CD205": "val_worse_from_start",
    "CD206": "overshoot",
    "CD207": "val_spikes",
    "CD301": "decayed_too_early",
    "CD401": "keep_training",
    "CD501": "overfitting",
    "CD502": "accuracy_gap",
    "CD503": "generalisation_gap",
    "CD601": "underfitting",
    "CD602": "frozen_accuracy",
    "CD901": "no_validation",
    "CD902": "noisy_curve",
    "CD903": "val_better",
    "CD904": "restart_overlap",
    "CD905": "lr_range_test",
    "CD906": "axes_differ",
}
