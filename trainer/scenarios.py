"""The scenario table: named runs whose curves each show one problem, or none.

Every scenario is a real cause of its symptom (a huge init, a rate that is too
high, a schedule that cuts too soon, ...), never a drawn curve. Groups (an LR
sweep, a seed group) expand into several runs. Torch-free, so ``--list`` works
without the ``trainer`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec import RunSpec


@dataclass(frozen=True)
class Scenario:
    """One run to make: its name, its folder under ``--out``, its spec, what it shows."""

    name: str
    #: folder relative to the output root
    path: str
    #: a label, "healthy", or a group name ("lr_sweep", "seed_group", "lr_range_test")
    group: str
    spec: RunSpec
    #: how it was made, in one sentence
    summary: str
    #: what a reader should see on its curves
    expect: str


# -- the building blocks ---------------------------------------------------------------------

DIGITS_MLP = RunSpec(dataset="digits", hidden=(128,), optimizer="sgd", lr=0.05, momentum=0.9)
HEALTHY_MLP = RunSpec(dataset="digits", hidden=(256,), optimizer="adamw", lr=1e-3,
                      weight_decay=0.05, dropout=0.3, schedule="cosine", epochs=40)

_SCENARIOS = [
    Scenario(
        "healthy/digits_cnn", "scenarios/healthy/digits_cnn", "healthy",
        RunSpec(dataset="digits_images", model="cnn", hidden=(16,), optimizer="adamw", lr=3e-3,
                weight_decay=0.05, dropout=0.3, schedule="cosine", epochs=30),
        "A small CNN on the 8x8 digit images, AdamW 3e-3 with weight decay and dropout, "
        "cosine decay over the whole run.",
        "Loss falls fast, then settles; validation loss flat near its minimum at the end "
        "(about 0.03), validation accuracy about 99%, no rise.",
    ),
    Scenario(
        "healthy/breast_cancer_mlp", "scenarios/healthy/breast_cancer_mlp", "healthy",
        RunSpec(dataset="breast_cancer", hidden=(32,), optimizer="adamw", lr=2e-3,
                weight_decay=0.01, dropout=0.2, schedule="cosine", epochs=40, batch_size=32),
        "A one-hidden-layer MLP on breast cancer (2 classes), AdamW with cosine decay.",
        "Binary loss from ln 2 = 0.69 down to about 0.04; validation flat at the end, "
        "train and validation accuracy both about 98-100%.",
    ),
    Scenario(
        "bad_init/huge_init_weights", "scenarios/bad_init/huge_init_weights", "bad_init",
        DIGITS_MLP.with_(hidden=(256,), init="normal", init_std=0.5, lr=0.01, epochs=20),
        "Digits MLP whose weights are drawn from N(0, 0.5) instead of ~N(0, 1/fan_in): the "
        "logits are huge at step 0.",
        "Loss at step 0 about 35, far above the chance loss ln 10 = 2.30; training recovers "
        "but validation loss stays several times that of a well-initialised run.",
    ),
    Scenario(
        "bad_init/hockey_stick_tanh", "scenarios/bad_init/hockey_stick_tanh", "bad_init",
        DIGITS_MLP.with_(hidden=(64,) * 6, activation="tanh", init="normal", init_std=0.04,
                         epochs=50, weight_decay=5e-4),
        "A 6-layer tanh MLP with tiny N(0, 0.04) weights: the signal and the gradients "
        "vanish through the layers.",
        "Loss sits flat at ln 10 = 2.30 with a tiny gradient norm for about 200 steps, "
        "then drops suddenly (a hockey stick) and converges.",
    ),
    Scenario(
        "lr_too_high/diverged_nan", "scenarios/lr_too_high/diverged_nan", "lr_too_high",
        RunSpec(dataset="diabetes", hidden=(64,), optimizer="sgd", lr=0.2, momentum=0.9,
                epochs=30, batch_size=32),
        "Regression MLP on diabetes (MSE) with SGD at lr 0.2 and momentum 0.9, too high for "
        "this loss surface; the trainer gives up after 20 non-finite steps.",
        "Loss bounces between 0.7 and 2.5 without settling, explodes at step 70 (train "
        "loss about 300, validation about 2700) and is NaN from step 80; the gradient norm "
        "explodes with it.",
    ),
    Scenario(
        "lr_too_high/noisy_plateau", "scenarios/lr_too_high/noisy_plateau", "lr_too_high",
        DIGITS_MLP.with_(hidden=(256,), activation="tanh", lr=1.0, epochs=20),
        "Digits tanh MLP with SGD at lr 1.0 (20x a good rate): every step overshoots.",
        "Loss jumps from 2.4 at init to tens within a few steps and stays high and noisy, "
        "never improving; validation accuracy wanders between 50% and 70%; the gradient "
        "norm stays several times its initial value.",
    ),
    Scenario(
        "decayed_too_early/step_decay", "scenarios/decayed_too_early/step_decay",
        "decayed_too_early",
        DIGITS_MLP.with_(lr=0.01, schedule="step", milestones=(2, 4), gamma=0.1, epochs=30),
        "Digits MLP, SGD 0.01 cut 10x at epoch 2 and again at epoch 4: a schedule copied "
        "from a much longer run.",
        "Loss is still falling fast when the LR drops 10x at step 40; right after, both "
        "curves go nearly flat at a poor level (val loss about 0.7, accuracy about 89%).",
    ),
    Scenario(
        "decayed_too_early/exponential_decay", "scenarios/decayed_too_early/exponential_decay",
        "decayed_too_early",
        DIGITS_MLP.with_(lr=0.02, schedule="exponential", gamma=0.5, epochs=25),
        "Digits MLP, SGD 0.02 halved every epoch (gamma 0.5 where 0.95 was meant).",
        "The LR shrinks 1000x within 10 epochs while the loss is still falling; validation "
        "loss freezes at about 0.41 from epoch 6 on.",
    ),
    Scenario(
        "keep_training/digits_mlp_stopped_early",
        "scenarios/keep_training/digits_mlp_stopped_early", "keep_training",
        DIGITS_MLP.with_(hidden=(64,), lr=0.002, epochs=20),
        "Digits MLP with a cautious SGD 0.002, stopped after 20 epochs.",
        "Validation loss still falling steadily at the end (about 0.37, down by 40% over "
        "the last third) and accuracy still rising; no sign of overfitting yet.",
    ),
    Scenario(
        "keep_training/wine_mlp", "scenarios/keep_training/wine_mlp", "keep_training",
        RunSpec(dataset="wine", hidden=(32,), optimizer="sgd", lr=0.001, momentum=0.9,
                batch_size=16, epochs=30),
        "A small MLP on wine (3 classes), SGD 0.001 with momentum, stopped after 30 epochs.",
        "Accuracy is already high (about 98%), but both losses are still falling steadily "
        "at the end (validation about 0.29, down a third over the last third): more epochs "
        "would still pay.",
    ),
    Scenario(
        "overfitting/moons_small_subset", "scenarios/overfitting/moons_small_subset",
        "overfitting",
        RunSpec(dataset="moons", train_size=80, hidden=(256, 256), optimizer="adam", lr=3e-3,
                epochs=250, batch_size=16),
        "A 256x256 MLP on only 80 noisy two-moons points, Adam, no regularisation, 250 epochs.",
        "Training loss goes to ~0 while validation loss bottoms out early (about 0.25 near "
        "step 30) and then climbs ten-fold; the train-val accuracy gap stays around 10%.",
    ),
    Scenario(
        "overfitting/breast_cancer_lightning", "scenarios/overfitting/breast_cancer_lightning",
        "overfitting",
        RunSpec(dataset="breast_cancer", train_size=60, hidden=(256, 256), optimizer="adam",
                lr=1e-3, epochs=200, batch_size=16, logger="lightning_csv"),
        "A big MLP on 60 breast-cancer examples, logged the way PyTorch Lightning's "
        "CSVLogger does (version_0/metrics.csv + hparams.yaml).",
        "Validation loss is lowest near step 20 (about 0.14) and then rises steadily to "
        "about 0.32 while training loss keeps falling towards 0.",
    ),
    Scenario(
        "underfitting/moons_linear", "scenarios/underfitting/moons_linear", "underfitting",
        RunSpec(dataset="moons", hidden=(), optimizer="sgd", lr=0.02, epochs=40, batch_size=64),
        "A linear model (no hidden layer) on the two moons: it cannot bend around them.",
        "Train and validation loss meet at about 0.32 within a few epochs and stay there; "
        "both accuracies stuck at about 86%.",
    ),
    Scenario(
        "underfitting/digits_weight_decay", "scenarios/underfitting/digits_weight_decay",
        "underfitting",
        DIGITS_MLP.with_(lr=0.02, weight_decay=0.3, epochs=30),
        "Digits MLP with weight decay 0.3 (1000x a usual value): the weights cannot grow.",
        "Train and validation loss flat together at about 1.5, accuracy about 74% on both, "
        "where a healthy run reaches 98%.",
    ),
    Scenario(
        "lr_range_test/digits_mlp", "lr_range_test/digits_mlp", "lr_range_test",
        DIGITS_MLP.with_(lr=1e-5, lr_end=10.0, schedule="range_test", stop_factor=4.0,
                         epochs=6, batch_size=32, log_every=1),
        "An LR range test: SGD with the LR rising exponentially from 1e-5 to 10 over the run, "
        "stopped once the smoothed loss exceeds 4x its minimum.",
        "Loss flat until lr ~1e-3, falls fastest around 1e-2 to 1e-1, explodes near 1: "
        "a good constant LR is about 0.03-0.1.",
    ),
]

_SWEEP_LRS = (0.001, 0.01, 0.1, 1.0, 10.0)
_SWEEP = [
    Scenario(
        f"lr_sweep/lr_{lr:g}/seed_{seed}", f"sweeps/lr/lr_{lr:g}/seed_{seed}", "lr_sweep",
        DIGITS_MLP.with_(lr=lr, epochs=15, seed=seed),
        f"Digits MLP, SGD with momentum at lr {lr:g}, seed {seed}: one point of a coarse "
        "log-spaced sweep (1e-3 ... 10).",
        "lr 0.001 is far from done at the end and 0.01 still improving; 0.1 converges best "
        "(val loss about 0.06); 1 learns, then gets worse with spikes; 10 never learns "
        "(accuracy at chance, 10%). The next, finer sweep belongs around 0.03-0.3.",
    )
    for lr in _SWEEP_LRS for seed in (0, 1)
]

_SEEDS = [
    Scenario(
        f"seed_group/seed_{seed}", f"seeds/digits_mlp_adamw/seed_{seed}", "seed_group",
        HEALTHY_MLP.with_(seed=seed),
        f"One healthy digits MLP config (AdamW, dropout, cosine) with seed {seed}.",
        "Three nearly identical curves: the spread between seeds is the noise floor "
        "any other difference must beat.",
    )
    for seed in (0, 1, 2)
]

#: A baseline and variants that each change it, 3 seeds each (one variant with a single
#: seed): the groups a comparison with the baseline reads (`curvedoc check --compare`).
EXPERIMENT_BASE = RunSpec(dataset="digits", hidden=(64,), optimizer="sgd", lr=0.01,
                          momentum=0.9, epochs=8)
_VARIANTS = {
    "baseline": ({}, (0, 1, 2), "The baseline: digits MLP (64 hidden units), SGD 0.01 with "
                 "momentum 0.9 for 8 epochs"),
    "lr_0.03": ({"lr": 0.03}, (0, 1, 2), "The baseline with lr 0.03 (a real improvement)"),
    "dropout_0.1": ({"dropout": 0.1}, (0, 1, 2),
                    "The baseline with dropout 0.1 (no improvement)"),
    "lr_0.03_batch_32": ({"lr": 0.03, "batch_size": 32}, (0, 1, 2),
                         "The baseline with lr 0.03 and batch size 32 (two changes at once)"),
    "momentum_0.95": ({"momentum": 0.95}, (0,), "The baseline with momentum 0.95, one seed"),
}
_EXPERIMENT = [
    Scenario(
        f"experiment/{name}/seed_{seed}", f"experiments/{name}/seed_{seed}", "experiment",
        EXPERIMENT_BASE.with_(seed=seed, **changes), f"{how}, seed {seed}.",
        "Compared with experiments/baseline: lr 0.03 beats it well beyond seed noise "
        "(best val loss about 0.12 against 0.21), dropout 0.1 does not (about 0.215), lr "
        "0.03 with batch size 32 changes two things at once (confounded), and one seed of "
        "momentum 0.95 cannot be told from seed noise.",
    )
    for name, (changes, seeds, how) in _VARIANTS.items() for seed in seeds
]

#: every scenario by name, in a stable order
SCENARIOS: dict[str, Scenario] = {s.name: s for s in
                                  _SCENARIOS + _SWEEP + _SEEDS + _EXPERIMENT}

#: the names a user can pass to --scenario besides single scenario names
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(s.group for s in SCENARIOS.values()))

#: how the runs of a multi-run group were made, in one sentence
GROUP_SUMMARIES = {
    "lr_sweep": "Digits MLP (128 hidden units), SGD with momentum 0.9 for 15 epochs at lr "
                + ", ".join(f"{lr:g}" for lr in _SWEEP_LRS) + ", seeds 0 and 1.",
    "seed_group": "Digits MLP (256 hidden units, dropout 0.3), AdamW 1e-3 with weight decay "
                  "0.05 and cosine decay for 40 epochs, seeds 0, 1 and 2.",
    "experiment": "A baseline (digits MLP, 64 hidden units, SGD 0.01 with momentum 0.9, 8 "
                  "epochs) and variants that change it: lr 0.03, dropout 0.1, lr 0.03 with "
                  "batch size 32, seeds 0, 1 and 2 each; momentum 0.95 with seed 0 only.",
}


def select(name: str) -> list[Scenario]:
    """Scenarios matching ``name``: a scenario name, a group or label, or ``all``."""
    if name == "all":
        return list(SCENARIOS.values())
    if name in SCENARIOS:
        return [SCENARIOS[name]]
    found = [s for s in SCENARIOS.values() if s.group == name]
    if not found:
        known = ", ".join(GROUPS)
        raise KeyError(f"unknown scenario {name!r}; use one of: {known}, all, "
                       "or a full name from --list")
    return found
