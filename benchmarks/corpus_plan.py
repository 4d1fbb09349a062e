"""The run matrix of the benchmark corpus: which runs to train, and why each is made.

Every run is a :class:`PlannedRun`: a RunSpec for the bundled trainer, the cause
injected (``healthy`` or a fault) at a named strength, and its split. The matrix
crosses 15 data set / model family combinations with the causes; optimiser,
schedule, batch size and logging style vary from run to run (drawn from a seeded
RNG per run, so the plan is the same on every machine).

The split is by data set AND model family, never by seed: ``test`` holds every run
on wine, circles, blobs, the 100-class synthetic problem and friedman regression,
and every transformer run; everything else is ``tune``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from curvedoc.trainer import RunSpec

#: (data set, model family): the healthy recipe every cause starts from
BASES: dict[tuple[str, str], RunSpec] = {
    ("digits", "mlp"): RunSpec(dataset="digits", hidden=(128,), optimizer="adamw", lr=1e-3,
                               weight_decay=0.01, batch_size=64, epochs=20),
    ("digits_images", "cnn"): RunSpec(dataset="digits_images", model="cnn", hidden=(8,),
                                      optimizer="adamw", lr=2e-3, weight_decay=0.01,
                                      batch_size=64, epochs=14),
    ("breast_cancer", "mlp"): RunSpec(dataset="breast_cancer", hidden=(32,), optimizer="adam",
                                      lr=1e-3, batch_size=32, epochs=30),
    ("iris", "mlp"): RunSpec(dataset="iris", hidden=(16,), optimizer="adam", lr=1e-2,
                             batch_size=8, epochs=40),
    ("moons", "mlp"): RunSpec(dataset="moons", hidden=(64, 64), optimizer="adam", lr=3e-3,
                              batch_size=64, epochs=30),
    ("diabetes", "mlp"): RunSpec(dataset="diabetes", hidden=(64,), optimizer="adam", lr=1e-3,
                                 weight_decay=0.01, batch_size=32, epochs=40),
    ("synth_c20", "mlp"): RunSpec(dataset="synth_c20", hidden=(128,), optimizer="adamw",
                                  lr=1e-3, weight_decay=0.05, dropout=0.2, batch_size=64,
                                  epochs=25),
    ("synth_c50", "mlp"): RunSpec(dataset="synth_c50", hidden=(128,), optimizer="adamw",
                                  lr=1e-3, weight_decay=0.05, dropout=0.2, batch_size=64,
                                  epochs=25),
    ("sequences", "rnn"): RunSpec(dataset="sequences", model="rnn", hidden=(24,),
                                  optimizer="adam", lr=5e-3, batch_size=128, epochs=12),
    # -- test: other data sets, and the transformer family --
    ("wine", "mlp"): RunSpec(dataset="wine", hidden=(32,), optimizer="adam", lr=2e-3,
                             batch_size=16, epochs=40),
    ("circles", "mlp"): RunSpec(dataset="circles", hidden=(64, 64), optimizer="adam",
                                lr=3e-3, batch_size=64, epochs=30),
    ("blobs", "mlp"): RunSpec(dataset="blobs", hidden=(64,), optimizer="adam", lr=1e-3,
                              batch_size=64, epochs=25),
    ("synth_c100", "mlp"): RunSpec(dataset="synth_c100", hidden=(256,), optimizer="adamw",
                                   lr=1e-3, weight_decay=0.05, dropout=0.2, batch_size=64,
                                   epochs=25),
    ("friedman", "mlp"): RunSpec(dataset="friedman", hidden=(64, 64), optimizer="adam",
                                 lr=2e-3, batch_size=64, epochs=30),
    ("sequences", "transformer"): RunSpec(dataset="sequences", model="transformer",
                                          hidden=(32,), optimizer="adamw", lr=2e-3,
                                          weight_decay=0.01, batch_size=64, epochs=12,
                                          schedule="warmup_cosine", warmup=0.1),
}

TEST_DATASETS = frozenset({"wine", "circles", "blobs", "synth_c100", "friedman"})
TEST_FAMILIES = frozenset({"transformer"})

#: training examples after the split (70% of each data set), for steps per epoch
TRAIN_SIZES = {"digits": 1257, "digits_images": 1257, "breast_cancer": 398, "iris": 105,
               "moons": 1050, "diabetes": 309, "synth_c20": 1400, "synth_c50": 1400,
               "sequences": 1680, "wine": 124, "circles": 1050, "blobs": 1050,
               "synth_c100": 2800, "friedman": 1050}

REGRESSION = frozenset({"diabetes", "friedman"})

#: logging styles (curvedoc.trainer.styles) and how often each is drawn
STYLE_WEIGHTS = {"default": 3, "tb_slash": 2, "tb_per_step": 1, "tb_epoch1": 2, "tb_epoch0": 1,
                 "tb_lightning": 2, "tb_freetext": 1, "tb_hf": 1, "tb_valid": 1,
                 "tb_eval_loss": 1, "tb_test": 1, "lightning_csv": 2,
                 "lightning_csv_epoch": 1, "hf_steps": 2, "hf_epoch": 1, "keras": 2,
                 "keras_nolr": 1}
#: styles that log the validation every N steps (N drawn per run)
EVAL_EVERY_STYLES = frozenset({"tb_freetext", "tb_hf", "tb_eval_loss", "hf_steps"})
#: styles that log no learning rate (a decayed_too_early run needs the LR to be seen)
NO_LR_STYLES = frozenset({"tb_epoch0", "tb_valid", "lightning_csv_epoch", "keras_nolr"})

BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512)

#: fault runs per combination and cause (drawn from the candidates ``_faults`` makes)
FAULTS_PER_CAUSE = {"bad_init": 3, "lr_too_high": 3, "decayed_too_early": 2,
                    "keep_training": 2, "overfitting": 2, "underfitting": 2}


@dataclass(frozen=True)
class PlannedRun:
    """One corpus run: where it goes (``logs/<run_id>``), its spec, and what was injected."""

    run_id: str
    spec: RunSpec
    dataset: str
    family: str
    #: "healthy" or the fault injected by its cause
    cause: str
    #: how the cause was injected, e.g. "huge_init_std1"
    variant: str
    #: "mild" | "medium" | "strong" (faults); "" for healthy runs
    strength: str
    split: str


def split_of(dataset: str, family: str) -> str:
    return "test" if dataset in TEST_DATASETS or family in TEST_FAMILIES else "tune"


def steps_per_epoch(spec: RunSpec) -> int:
    n = TRAIN_SIZES[spec.dataset]
    if spec.train_size is not None:
        n = min(n, spec.train_size)
    return math.ceil(n / spec.batch_size)


def _fit_epochs(spec: RunSpec, target_steps: int, lo: int, hi: int) -> RunSpec:
    """The spec with as many epochs as make about ``target_steps`` steps, within lo..hi."""
    epochs = round(target_steps / steps_per_epoch(spec))
    return spec.with_(epochs=max(lo, min(hi, epochs)))


def _vary_healthy(base: RunSpec, rng: random.Random) -> tuple[RunSpec, str]:
    """A healthy variant: another optimiser / schedule / batch size at a sound LR."""
    n = TRAIN_SIZES[base.dataset]
    sizes = [b for b in BATCH_SIZES if b <= max(8, n // 3)]
    bs = rng.choice(sizes)
    opt = rng.choice(["adam", "adamw", "sgd"])
    # square-root LR scaling with the batch size; SGD with momentum wants ~30x Adam's rate
    lr = base.lr * math.sqrt(bs / base.batch_size) * (30 if opt == "sgd" else 1)
    lr = min(lr, 0.3 if opt == "sgd" else 1e-2)
    schedule = rng.choice(["constant", "cosine", "onecycle", "warmup_cosine", "step",
                           "warmup"])
    # decoupled decay only with AdamW: the same 0.05 as an L2 term (Adam, SGD) would
    # starve the weights (that is the underfitting cause, not a healthy run)
    wd = base.weight_decay if opt == "adamw" else min(base.weight_decay, 1e-4)
    spec = base.with_(optimizer=opt, lr=lr, batch_size=bs, momentum=0.9, schedule=schedule,
                      weight_decay=wd,
                      warmup=0.1 if schedule in ("warmup_cosine", "warmup") else 0.0)
    base_steps = steps_per_epoch(base) * base.epochs
    spec = _fit_epochs(spec, int(base_steps * rng.uniform(1.2, 2.0)), 10, 200)
    if schedule == "step":
        e = spec.epochs
        spec = spec.with_(milestones=(int(0.6 * e), int(0.85 * e)), gamma=0.1)
    return spec, f"{opt}_{schedule}_bs{bs}"


def _faults(base: RunSpec, family: str, rng: random.Random
            ) -> list[tuple[str, str, str, RunSpec]]:
    """(cause, variant, strength, spec) of every fault run made on one combination."""
    out: list[tuple[str, str, str, RunSpec]] = []
    regression = base.dataset in REGRESSION

    # bad_init: huge weights, a wrong output bias, a deep tanh net with tiny weights
    for strength, std in (("mild", 0.3), ("strong", 2.0)):
        out.append(("bad_init", f"huge_init_std{std:g}", strength,
                    base.with_(init="normal", init_std=std)))
    for strength, bias in (("mild", 6.0), ("strong", 25.0)):
        out.append(("bad_init", f"output_bias{bias:g}", strength,
                    base.with_(init="output_bias", init_std=bias)))
    if family == "mlp" and not regression:
        std = rng.choice([0.05, 0.03])
        out.append(("bad_init", f"deep_tanh_std{std:g}", "strong" if std < 0.04 else "medium",
                    base.with_(hidden=(64,) * 6, activation="tanh", init="normal",
                               init_std=std, optimizer="sgd", lr=0.05, weight_decay=0.0,
                               dropout=0.0, schedule="constant", epochs=base.epochs * 2)))

    # lr_too_high: far above a stable rate (down to NaN), or a mild oscillation
    sgd = base.with_(optimizer="sgd", momentum=0.9, weight_decay=0.0, schedule="constant",
                     warmup=0.0)
    for strength, lr in (("mild", 0.5), ("medium", 2.0), ("strong", 20.0)):
        out.append(("lr_too_high", f"sgd_lr{lr:g}", strength, sgd.with_(lr=lr)))
    adam_lr = rng.choice([0.05, 0.1])
    out.append(("lr_too_high", f"adam_lr{adam_lr:g}", "medium",
                base.with_(optimizer="adam", lr=adam_lr, weight_decay=0.0, schedule="constant",
                           warmup=0.0)))

    # decayed_too_early: a step or exponential schedule that cuts in the first epochs
    longer = base.with_(optimizer="sgd", momentum=0.9, lr=0.02 if not regression else 0.01,
                        weight_decay=0.0, epochs=max(base.epochs, 20), warmup=0.0)
    out.append(("decayed_too_early", "step_e1_e2_x0.1", "strong",
                longer.with_(schedule="step", milestones=(1, 2), gamma=0.1)))
    out.append(("decayed_too_early", "step_e2_x0.05", "medium",
                longer.with_(schedule="step", milestones=(2,), gamma=0.05)))
    gamma = rng.choice([0.5, 0.6, 0.7])
    out.append(("decayed_too_early", f"exponential_{gamma:g}", "strong" if gamma < 0.65
                else "mild", longer.with_(schedule="exponential", gamma=gamma)))

    # keep_training: a cautious LR, stopped early
    for strength, factor in (("mild", 0.2), ("strong", 0.05)):
        out.append(("keep_training", f"lr_x{factor:g}", strength,
                    base.with_(lr=base.lr * factor, schedule="constant", warmup=0.0,
                               epochs=max(6, int(base.epochs * 0.6)))))
    out.append(("keep_training", "sgd_lr1e-3", "medium",
                base.with_(optimizer="sgd", momentum=0.9, lr=1e-3, weight_decay=0.0,
                           schedule="constant", warmup=0.0)))

    # overfitting: a big net on few examples, no regularisation, many epochs
    if family in ("mlp", "cnn", "rnn", "transformer"):
        width = (256, 256) if family == "mlp" else base.hidden
        if family == "cnn":
            width = (32,)
        n = TRAIN_SIZES[base.dataset]
        for strength, size in (("strong", max(30, n // 12)), ("medium", max(60, n // 4))):
            spec = base.with_(train_size=size, hidden=width, dropout=0.0, weight_decay=0.0,
                              optimizer="adam", lr=1e-3, schedule="constant", warmup=0.0,
                              batch_size=16)
            out.append(("overfitting", f"rises_n{size}", strength,
                        _fit_epochs(spec, 1200, 30, 300)))
        size = max(60, n // 5)
        spec = base.with_(train_size=size, hidden=width, dropout=0.3, weight_decay=0.0,
                          optimizer="adamw", lr=1e-3, schedule="cosine", warmup=0.0,
                          batch_size=16)
        out.append(("overfitting", f"gap_dropout_n{size}", "mild",
                    _fit_epochs(spec, 1200, 30, 300)))

    # underfitting: a model too small for the data, or heavy weight decay
    if family == "mlp":
        # three times as long, so the linear model reaches its plateau
        out.append(("underfitting", "linear", "strong",
                    base.with_(hidden=(), dropout=0.0, weight_decay=0.0,
                               epochs=3 * base.epochs)))
    elif family in ("rnn", "transformer"):
        out.append(("underfitting", "width2", "strong", base.with_(hidden=(2,), dropout=0.0)))
    for strength, wd in (("medium", 0.1), ("strong", 0.5)):
        out.append(("underfitting", f"sgd_weight_decay{wd:g}", strength,
                    base.with_(optimizer="sgd", momentum=0.9, lr=0.02, weight_decay=wd,
                               schedule="constant", warmup=0.0)))
    return out


def _with_style(spec: RunSpec, cause: str, rng: random.Random) -> RunSpec:
    styles = [s for s in STYLE_WEIGHTS if cause != "decayed_too_early" or s not in NO_LR_STYLES]
    style = rng.choices(styles, [STYLE_WEIGHTS[s] for s in styles])[0]
    spec = spec.with_(log_style=style, log_every=rng.choice([1, 2, 5, 10]))
    if style in EVAL_EVERY_STYLES:
        total = steps_per_epoch(spec) * spec.epochs
        spec = spec.with_(eval_every=max(1, total // rng.randint(8, 30)))
    return spec


def plan(healthy_per_combo: int = 9, draw: int = 0) -> list[PlannedRun]:
    """Every run of the corpus, in a stable order. Another ``draw`` (1, 2, ...) makes the
    same matrix with every random choice (variant, style, seed) drawn afresh."""
    runs: list[PlannedRun] = []
    for (dataset, family), base in BASES.items():
        rng = random.Random(f"{dataset}/{family}" if not draw else f"{draw}:{dataset}/{family}")
        made: list[tuple[str, str, str, RunSpec]] = [("healthy", "base", "", base)]
        for _ in range(healthy_per_combo - 1):
            spec, variant = _vary_healthy(base, rng)
            made.append(("healthy", variant, "", spec))
        candidates = _faults(base, family, rng)
        for cause, k in FAULTS_PER_CAUSE.items():
            mine = [c for c in candidates if c[0] == cause]
            keep = sorted(rng.sample(range(len(mine)), min(k, len(mine))))
            made += [mine[j] for j in keep]
        for i, (cause, variant, strength, spec) in enumerate(made):
            spec = _with_style(spec.with_(seed=i + 1000 * draw), cause, rng)
            run_id = f"{dataset}_{family}/run{i:02d}"
            runs.append(PlannedRun(run_id, spec, dataset, family, cause, variant, strength,
                                   split_of(dataset, family)))
    return runs
