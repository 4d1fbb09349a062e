"""The README of ``sample_runs/``, rendered from the scenario table so it never drifts.

    python -m curvedoc.trainer.readme > sample_runs/README.md
"""

from __future__ import annotations

from .scenarios import GROUP_SUMMARIES, GROUPS, SCENARIOS

INTRO = """\
# sample_runs

Real training runs made by curvedoc's bundled PyTorch trainer (`curvedoc.trainer`),
on data that ships with scikit-learn (8x8 digits, breast cancer, wine, diabetes) or is
generated (two moons). `curvedoc serve` opens on this folder by default.

Every run is a real cause of its symptom, not a drawn curve: a huge init, a rate that
is too high, a schedule that cuts too early, and so on. The folder name under
`scenarios/` is the diagnosis a reader (and `curvedoc check`) should give it.

Regenerate everything (about a minute on 2 CPU cores; steps and values are
deterministic given the seed, wall-times are the real clock):

    pip install "curvedoc[trainer]"
    curvedoc train --all --out sample_runs

or one run, e.g. `curvedoc train --scenario overfitting/moons_small_subset --out sample_runs`.

What each run logs (TensorBoard event files written by `torch.utils.tensorboard.SummaryWriter`):
`train/loss` every 5 optimiser steps (the mean since the last log; step 0 is the loss at
init), `lr` and `grad_norm` at the same steps, `val/loss`, `val/acc` and `train/acc` after
every epoch (validation also once before training). The hyper-parameters are in the
event file (TensorBoard hparams plugin) and in `hparams.yaml` beside it, with
`num_classes` for classification. `scenarios/overfitting/breast_cancer_lightning/` is
logged instead like PyTorch Lightning's CSVLogger: `version_0/metrics.csv` (sparse rows,
`epoch` and `step` columns) and `version_0/hparams.yaml`.
"""

GROUP_TITLES = {
    "healthy": "Healthy runs",
    "lr_sweep": "A coarse LR sweep: `sweeps/lr/` (5 log-spaced rates x 2 seeds)",
    "seed_group": "A seed group: `seeds/` (one config x 3 seeds)",
    "lr_range_test": "An LR range test: `lr_range_test/`",
    "experiment": "A baseline and its variants: `experiments/` (compare them with "
                  "`curvedoc check sample_runs --compare experiments/baseline`)",
}


def render() -> str:
    """The whole README as markdown."""
    lines = [INTRO]
    for group in GROUPS:
        members = [s for s in SCENARIOS.values() if s.group == group]
        lines.append(f"## {GROUP_TITLES.get(group, f'`{group}`')}\n")
        if group in ("lr_sweep", "seed_group", "experiment"):
            first = members[0]
            lines.append(f"Made with `curvedoc train --scenario {group} --out sample_runs`.\n")
            lines.append(f"- How: {GROUP_SUMMARIES[group]}")
            lines.append(f"- Runs: {', '.join(f'`{s.path}`' for s in members)}.")
            lines.append(f"- What you should see: {first.expect}\n")
            continue
        for s in members:
            lines.append(f"### `{s.path}`\n")
            lines.append(f"- How: {s.summary}")
            lines.append(f"- Command: `curvedoc train --scenario {s.name} --out sample_runs`")
            lines.append(f"- What you should see: {s.expect}\n")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
