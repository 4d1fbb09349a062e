"""Which tag plays which role (train_loss, val_loss, train_acc, val_acc, lr, grad_norm),
and which way every metric points.

A tag is read as words, not matched against whole-tag patterns, so every spelling of one
convention lands on the same role: ``val_loss``, ``loss/val``, ``Loss/Validation``,
``valLoss``, ``val_loss_epoch``, ``eval_g0_loss``, "Validation loss (avg over batches)".
:func:`words` splits a tag at separators, brackets and camelCase; then the words are
sorted into

- a **phase** (:data:`TRAIN`, :data:`VAL`, :data:`TEST`): train, validation or test;
- a **metric** word, from the one direction table (:data:`LOWER_IS_BETTER`,
  :data:`HIGHER_IS_BETTER`): a loss-like metric falls as a model learns, a score rises;
- **aggregates** that say how it was logged (``step``, ``epoch``, ``avg``, ``total``), which
  change nothing;
- **qualifiers**, everything else: a loss component (``box``, ``kl``), an evaluation set
  (``g0`` in ``eval_g0_loss``), or words of free text. Each makes the tag a worse candidate.

Some words rule a tag out of any role (:data:`NOT_A_CURVE`: a per-class metric, a standard
deviation, a running best, a timer). A tag with no phase is a training metric, except a
top-1 accuracy (timm, torchvision log it for evaluation) and Ultralytics' ``metrics/``.
``test`` stands in for validation only where no validation tag exists.

For every role the best tag is the one that, in this order:

1. has more than one point (when point counts are known): a one-point summary such as
   Hugging Face's final ``train_loss`` never beats a real curve;
2. has the lowest rank (explicit phase, main metric, fewest qualifiers);
3. has more points (``train_loss_step`` beats ``train_loss_epoch`` when it logged more;
   the diagnostics judge trends on the epoch series all the same);
4. is not an epoch aggregate (``_epoch``) when nothing else decides;
5. sorts first (``lr-SGD/pg0`` before ``lr-SGD/pg1``; but Ultralytics' ``lr/pg0`` and
   YOLOv5's ``x/lr0`` are the biases' rate, warmed up down from 0.1: group 1 is the
   schedule).

A user can name the tag of any role in config (``[tool.curvedoc.roles]``); a named tag that
the run does not have is ignored for that run. :func:`eval_sets` lists the other
evaluation sets a run logged beside its main validation metric, :func:`loss_components`
the components of its loss logged for both training and validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from curvedoc.ingest.model import ROLES

Direction = Literal["lower", "higher"]

TRAIN = frozenset({"train", "training", "trn", "tr", "fit"})
VAL = frozenset({"val", "valid", "validation", "validate", "eval", "evaluation", "dev",
                 "holdout", "heldout", "vl", "va"})
TEST = frozenset({"test", "testing", "tst", "te"})

#: Words naming a metric that falls as a model learns.
LOWER_IS_BETTER = frozenset({
    "loss", "losses", "nll", "xent", "crossentropy", "ce", "objective", "cost", "mse", "mae",
    "rmse", "msle", "huber", "error", "err", "perplexity", "ppl", "wer", "cer", "ter", "bpd",
    "bpc", "fid", "distance", "dist",
})
#: Words that name a loss (or an error) outright, whatever score word stands beside them.
LOSS_NOUNS = frozenset({"loss", "losses", "error", "err", "cost", "objective"})
#: Words naming a metric that rises as a model learns ("accuracy" stands for all of them).
HIGHER_IS_BETTER = frozenset({
    "acc", "accuracy", "top1", "acc1", "acc@1", "iou", "miou", "jaccard", "dice", "f1",
    "fscore", "f1score", "fbeta", "precision", "prec", "recall", "rec", "sensitivity",
    "specificity", "map", "map50", "map75", "mAP".lower(), "auc", "auroc", "roc", "ap",
    "bleu", "sacrebleu", "rouge", "rouge1", "rouge2", "rougel", "rougelsum", "meteor", "chrf",
    "reward", "rewards", "return", "returns", "score", "r2", "psnr", "ssim", "likelihood",
    "loglik", "loglikelihood", "elbo", "kappa", "mcc", "spearman", "pearson", "corr",
    "exact", "em", "hit", "hits", "ndcg", "mrr", "success",
    # speech enhancement and separation: perceptual quality, intelligibility, distortion
    "pesq", "stoi", "estoi", "sdr", "sisdr", "sisnr",
})
#: Higher-is-better words that make the best accuracy-like role tag, best first.
ACCURACY_RANK = {"acc": 0, "accuracy": 0, "top1": 1, "acc1": 1, "acc@1": 1, "f1": 2,
                 "map50": 2, "map": 3, "iou": 3, "miou": 3, "dice": 3, "auc": 3, "auroc": 3,
                 "bleu": 3}
#: The accuracy proper (the share of right answers, whose ceiling is 1): the best ranked.
ACCURACY_WORDS = frozenset(word for word, rank in ACCURACY_RANK.items() if rank <= 1)
LR_WORDS = frozenset({"lr", "learningrate"})
#: A rate of a numbered parameter group (YOLOv5's ``x/lr0``).
_GROUP_LR = re.compile(r"lr\d+")
#: Ultralytics (``lr/pg0``) and YOLOv5 (``x/lr0``) log the biases' group first, its rate
#: warmed up *down* from ``warmup_bias_lr`` (0.1) while the weights' rates rise from 0: the
#: schedule's peak is the weights' (group 1), so group 0 ranks after it.
BIAS_GROUP_LR = frozenset({"lr/pg0", "x/lr0"})
GRAD_WORDS = frozenset({"grad", "grads", "gradient", "gradients", "gradnorm"})
#: Words about how a value was logged; they neither help nor hurt a tag.
AGGREGATES = frozenset({"step", "epoch", "epochs", "avg", "average", "mean", "total", "running",
                        "batch", "iter", "overall", "all", "metrics", "metric", "summary",
                        "over", "batches", "per", "of", "the", "set", "data", "dataset",
                        "scalar", "scalars", "value", "logs", "log", "on", "and",
                        "multiclass", "multilabel", "binary"})
#: Optimiser words in an LR tag (``lr-AdamW/pg0``).
OPTIMISER = re.compile(r"sgd|adam\w*|rmsprop|adagrad|adadelta|lamb|lion|lars|nadam|radam"
                       r"|pg\d+|group\d*|param|opt|optim|optimizer|\d+")
#: Words that make a tag no learning curve at all.
NOT_A_CURVE = frozenset({"std", "stddev", "var", "variance", "min", "max", "best", "count",
                         "num", "time", "sec", "secs", "seconds", "speed", "throughput",
                         "memory", "mem", "samples", "tokens", "runtime", "flos", "hist",
                         "histogram", "top5", "acc5", "top", "lower", "upper", "ci", "delta",
                         "diff", "ratio", "weight", "weights", "scale", "temperature",
                         "momentum", "beta1", "beta2", "wd", "decay", "hp", "hparams"})
#: Qualifiers that name a component of one loss (not an evaluation set of its own).
COMPONENTS = frozenset({"box", "cls", "dfl", "obj", "seg", "kpt", "pose", "mask", "rpn",
                        "bbox", "giou", "l1", "l2", "kl", "recon", "reconstruction", "aux",
                        "reg", "ctc", "mlm", "nsp", "lm", "contrastive", "triplet", "center",
                        "focal", "class", "classification", "regression", "char", "token",
                        "word", "seq", "sequence", "smooth", "ema", "angle", "kobj", "rle",
                        "iou", "ciou", "diou", "dice", "bce", "sup", "unsup", "consistency",
                        "commitment", "perceptual", "vq", "heatmap", "landmark"})
#: A per-class metric (``class_0_acc``, ``acc_cls3``): one class, not the model's curve.
_PER_CLASS = re.compile(r"(?:^|[^a-z])(?:class|cls|label)[ _\-]?\d+(?:[^a-z0-9]|$)")
#: lowerCamelCase words (``valLoss``, ``trainAccuracy``), split; ``mAP50`` and ``AdamW`` stay.
_CAMEL = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+")
_SPLIT = re.compile(r"[^a-z0-9@]+")


@lru_cache(maxsize=65536)
def words(tag: str) -> tuple[str, ...]:
    """A tag as lower-case words: ``"Loss/Validation (avg)"`` -> ``("loss", "validation",
    "avg")``; ``valLoss`` -> ``("val", "loss")``; ``learning_rate`` -> ``("learningrate",)``."""
    text = _CAMEL.sub(lambda m: re.sub(r"(?=[A-Z])", " ", m.group()), str(tag).strip())
    text = text.lower()
    text = re.sub(r"learning[\s_\-./]*rate", "learningrate", text)
    text = re.sub(r"cross[\s_\-./]*entropy", "crossentropy", text)
    text = re.sub(r"log[\s_\-./]*likelihood", "loglikelihood", text)
    text = re.sub(r"map50[\s_\-./]*95", "map", text)  # Ultralytics mAP50-95
    text = re.sub(r"(top|acc)[\s_\-]+1\b", r"\g<1>1", text)
    # torchmetrics class names as Lightning logs them: ``val_multiclassjaccardindex``,
    # ``train_binaryaccuracy``, ``val_multiclassf1score`` name the metric after the task
    text = re.sub(r"(?:multiclass|multilabel|binary)(?=[a-z])", "", text)
    text = re.sub(r"jaccardindex", "jaccard", text)
    return tuple(w for w in _SPLIT.split(text) if w)


@dataclass(frozen=True)
class TagMeaning:
    """What a tag's words say: its phase, metric word and direction, and its qualifiers."""

    phase: Literal["train", "val", "test"] | None
    metric: str | None
    direction: Direction | None
    qualifiers: tuple[str, ...]
    kind: Literal["loss", "score", "lr", "grad_norm"] | None


@lru_cache(maxsize=65536)
def meaning(tag: str) -> TagMeaning:
    """Read one tag (see the module docstring)."""
    ws = words(tag)
    phase = None
    for w in ws:
        p = "train" if w in TRAIN else "val" if w in VAL else "test" if w in TEST else None
        if p and phase is None:
            phase = p
    if any(w in NOT_A_CURVE for w in ws) or _PER_CLASS.search(str(tag).lower()):
        return TagMeaning(phase, None, None, (), None)
    if any(w in LR_WORDS or _GROUP_LR.fullmatch(w) for w in ws):
        rest = tuple(w for w in ws if w not in LR_WORDS | TRAIN | AGGREGATES
                     and not OPTIMISER.fullmatch(w) and not _GROUP_LR.fullmatch(w)
                     and w != "x")
        return TagMeaning(phase, "lr", None, rest, "lr")
    if any(w in GRAD_WORDS for w in ws) and ("norm" in ws or "gradnorm" in ws):
        rest = tuple(w for w in ws if w not in GRAD_WORDS | TRAIN | AGGREGATES
                     | {"norm", "2", "0", "l2"})
        return TagMeaning(phase, "grad_norm", None, rest, "grad_norm")
    metric = direction = None
    # a word that names a loss outright wins over a score's beside it (``val_dice_loss``,
    # ``iou_loss`` and ``top1_err`` fall as a model learns); else the specific one first
    for w in sorted(ws, key=lambda w: (w not in LOSS_NOUNS, w not in ("top1", "acc1", "acc@1"))):
        if w in LOWER_IS_BETTER:
            metric, direction = w, "lower"
            break
        if w in HIGHER_IS_BETTER:
            metric, direction = w, "higher"
            break
    rest = tuple(w for w in ws if w != metric and w not in TRAIN | VAL | TEST | AGGREGATES)
    kind = None if direction is None else "loss" if direction == "lower" else "score"
    return TagMeaning(phase, metric, direction, rest, kind)


def direction(tag: str) -> Direction | None:
    """Whether a metric is better lower (a loss, an error) or higher (a score), from its
    words; None when the words name no known metric."""
    return meaning(tag).direction


def _rank(m: TagMeaning, low: str) -> tuple[str, int] | None:
    """The role a tag can play and its rank (lower is better), or None."""
    quals = [q for q in m.qualifiers if not q.isdigit()]
    extra = len(quals) + sum(q not in COMPONENTS for q in quals)
    if m.kind == "lr":
        return ("lr", (0 if not m.qualifiers else 2) + (m.phase not in (None, "train")) * 5
                + (low in BIAS_GROUP_LR))
    if m.kind == "grad_norm":
        return ("grad_norm", min(extra, 3))
    if m.kind is None:
        return None
    phase = m.phase
    implicit = phase is None
    if implicit:
        # Keras logs its training accuracy as "acc"; every other score without a phase
        # (top1, f1, mAP, AP, BLEU...) is computed on an evaluation set
        score_is_eval = m.kind == "score" and m.metric not in ("acc", "accuracy")
        phase = "val" if score_is_eval else "train"
    base = 5 if phase == "test" else 0
    if m.kind == "loss":
        role = "train_loss" if phase == "train" else "val_loss"
        quality = 0 if m.metric in ("loss", "losses") else 1
        box_first = 0 if quals[:1] == ["box"] else 1  # Ultralytics: the box loss leads
        return role, base + quality + implicit + 2 * min(extra, 3) + (extra > 0) * box_first
    role = "train_acc" if phase == "train" else "val_acc"
    quality = ACCURACY_RANK.get(m.metric or "", 4)
    return role, base + quality + (implicit and m.metric not in ("top1", "acc1")) + 2 * min(
        extra, 3)


@lru_cache(maxsize=65536)
def classify(tag: str) -> tuple[tuple[str, int], ...]:
    """Every (role, rank) a tag could play (at most one role, from its words)."""
    got = _rank(meaning(tag), str(tag).strip().lower())
    return (got,) if got else ()


def infer_roles(
    tags: Iterable[str],
    overrides: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Map roles to tags: ``{"train_loss": "train/loss", ...}`` (roles without a tag left out).

    ``overrides`` (role -> tag, from ``[tool.curvedoc.roles]``) win where the run has that
    tag. ``counts`` (tag -> number of points) lets a per-step curve beat an epoch aggregate.
    A tag plays at most one role. Test metrics stand in for validation only when no
    validation metric of that kind exists.
    """
    tags = [t for t in dict.fromkeys(str(t) for t in tags)]
    counts = counts or {}
    roles: dict[str, str] = {}
    taken: set[str] = set()
    for role, tag in (overrides or {}).items():
        if role in ROLES and isinstance(tag, str) and tag in tags:
            roles[role] = tag
            taken.add(tag)

    candidates: dict[str, list[tuple]] = {role: [] for role in ROLES}
    for tag in tags:
        if tag in taken:
            continue
        n = counts.get(tag)
        for role, rank in classify(tag):
            key = (
                0 if n is None or n > 1 else 1,
                rank,
                -(n or 0),
                1 if words(tag)[-1:] == ("epoch",) else 0,
                tag,
            )
            candidates[role].append((key, tag))

    for role in ROLES:
        if role in roles:
            continue
        for _, tag in sorted(candidates[role]):
            if tag not in taken:
                roles[role] = tag
                taken.add(tag)
                break

    _fastai_accuracy(roles, tags, overrides or {})
    return {role: roles[role] for role in ROLES if role in roles}


def _fastai_accuracy(roles: dict[str, str], tags: list[str], overrides: Mapping) -> None:
    """fastai's ``accuracy`` beside ``valid_loss`` is measured on the validation set."""
    acc = roles.get("train_acc")
    if (
        acc is not None
        and "train_acc" not in overrides
        and "val_acc" not in roles
        and acc.lower() in ("accuracy", "acc")
        and any(t.lower() == "valid_loss" for t in tags)
    ):
        roles["val_acc"] = roles.pop("train_acc")


@dataclass(frozen=True)
class EvalSet:
    """One evaluation set a run logged: its name and its loss and score tags."""

    name: str
    loss: str | None
    score: str | None


def eval_sets(tags: Iterable[str], roles: Mapping[str, str]) -> list[EvalSet]:
    """The evaluation sets beside the main one (``roles["val_loss"]``): Hugging Face's
    ``eval_<set>_loss``, Lightning's ``val_loss/dataloader_idx_1``. Loss components
    (Ultralytics' ``val/cls_loss``) and epoch/step copies of one series are no set of their
    own; nor is a test metric. Sets are named by their qualifier words (``g0``)."""
    main = roles.get("val_loss")
    if main is None:
        return []
    main_key = _set_key(main)
    losses: dict[str, str] = {}
    scores: dict[str, str] = {}
    for tag in dict.fromkeys(str(t) for t in tags):
        if tag in roles.values():
            continue
        m = meaning(tag)
        if m.phase != "val" or m.kind not in ("loss", "score"):
            continue
        key = _set_key(tag)
        if not key or key == main_key or component(tag):
            continue
        target = losses if m.kind == "loss" else scores
        if m.kind == "loss" and m.metric not in ("loss", "losses"):
            continue
        if m.kind == "score" and m.metric not in ACCURACY_RANK:
            continue
        best = target.get(key)
        if best is None or classify(tag)[0][1] < classify(best)[0][1]:
            target[key] = tag
    return [EvalSet(key, loss, scores.get(key)) for key, loss in sorted(losses.items())]


@dataclass(frozen=True)
class LossComponent:
    """One component of a run's loss logged for both training and validation
    (Ultralytics' ``train/obj_loss`` beside ``val/obj_loss``), named by its qualifier."""

    name: str
    train: str
    val: str


def loss_components(tags: Iterable[str], roles: Mapping[str, str]) -> list[LossComponent]:
    """The loss components a run logged for training and for validation, besides the pair
    its roles judge (the box loss leads a detector's losses; its objectness and class
    losses can overfit while the box loss does not)."""
    judged = {roles.get("train_loss"), roles.get("val_loss")}
    found: dict[str, dict[str, str]] = {"train": {}, "val": {}}
    for tag in dict.fromkeys(str(t) for t in tags):
        m = meaning(tag)
        if tag in judged or m.kind != "loss" or m.phase not in found:
            continue
        if component(tag):
            found[m.phase].setdefault(component(tag), tag)
    return [LossComponent(name, found["train"][name], val)
            for name, val in sorted(found["val"].items()) if name in found["train"]]


def component(tag: str) -> str:
    """The words of a tag that name a component of one loss (``obj`` in ``val/obj_loss``,
    ``dice`` in ``val_dice_loss``); "" for none."""
    return " ".join(q for q in meaning(tag).qualifiers if q in COMPONENTS)


def _set_key(tag: str) -> str:
    """The qualifier words that name an evaluation set ("" for the main set)."""
    m = meaning(tag)
    return " ".join(q for q in m.qualifiers if q not in ("dataloader", "idx", "loader"))


def missing_loss_warning(roles: Mapping[str, str], tags: Iterable[str]) -> str | None:
    """The warning for a run without a recognisable loss, or None."""
    if "train_loss" in roles or "val_loss" in roles:
        return None
    listed = sorted(str(t) for t in tags)
    shown = ", ".join(listed[:20]) + (f", ... ({len(listed)} in all)" if len(listed) > 20 else "")
    return (
        "no training or validation loss recognised among the tags "
        f"[{shown or 'none'}]; name them in [tool.curvedoc.roles] "
        '(e.g. train_loss = "my/loss") to diagnose this run'
    )
