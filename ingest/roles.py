"""Which tag plays which role (train_loss, val_loss, train_acc, val_acc, lr, grad_norm).

Tags are matched against one table of patterns (:data:`PATTERNS`), across the naming
conventions of TensorBoard, Keras, PyTorch Lightning, Hugging Face, fastai, Ultralytics,
timm and MLflow. Each pattern has a rank (lower is better). For every role the best tag is
the one that, in this order:

1. has more than one point (when point counts are known): a one-point summary such as
   Hugging Face's final ``train_loss`` never beats a real curve;
2. has the lowest rank;
3. has more points (``train_loss_step`` beats ``train_loss_epoch`` when it logged more);
4. is not an epoch aggregate (``_epoch``) when nothing else decides;
5. sorts first (``lr-SGD/pg0`` before ``lr-SGD/pg1``).

A user can name the tag of any role in config (``[tool.curvedoc.roles]``); a named tag that
the run does not have is ignored for that run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from curvedoc.ingest.model import ROLES

_TRAIN = r"(?:train|training|trn)"
_VAL = r"(?:val|valid|validation|eval|evaluation|dev)"
_SEP = r"[/_\-. ]?"
_AGG = r"(?:[/_\-.](?:step|epoch))?"  # Lightning's _step / _epoch suffixes
_ACC = r"(?:acc|accuracy)"
_TOP1 = r"(?:top1|top_1|top-1|acc1|acc@1|top1_acc|top1_accuracy)"
_LR = r"(?:lr|learning_rate|learning-rate|learningrate)"

#: role, rank, pattern (matched in full against the lower-cased tag)
PATTERNS: tuple[tuple[str, int, str], ...] = (
    # training loss
    ("train_loss", 0, rf"{_TRAIN}{_SEP}(?:epoch_)?loss{_AGG}"),
    ("train_loss", 0, rf"loss{_SEP}{_TRAIN}"),
    ("train_loss", 1, rf"(?:epoch_)?loss{_AGG}"),
    ("train_loss", 2, rf"{_TRAIN}{_SEP}(?:total|avg|mean)_loss{_AGG}"),
    ("train_loss", 3, rf"{_TRAIN}/box_loss"),  # Ultralytics
    ("train_loss", 4, rf"{_TRAIN}/\w+_loss"),
    # validation loss
    ("val_loss", 0, rf"{_VAL}{_SEP}(?:epoch_)?loss{_AGG}"),
    ("val_loss", 0, rf"loss{_SEP}{_VAL}"),
    ("val_loss", 2, rf"{_VAL}{_SEP}(?:total|avg|mean)_loss{_AGG}"),
    ("val_loss", 3, rf"{_VAL}/box_loss"),  # Ultralytics
    ("val_loss", 4, rf"{_VAL}/\w+_loss"),
    ("val_loss", 5, rf"test{_SEP}loss{_AGG}|loss{_SEP}test"),
    # training accuracy (any "higher is better" metric)
    ("train_acc", 0, rf"{_TRAIN}{_SEP}(?:epoch_)?{_ACC}{_AGG}"),
    ("train_acc", 0, rf"{_ACC}{_SEP}{_TRAIN}"),
    ("train_acc", 1, rf"(?:epoch_)?{_ACC}{_AGG}"),
    ("train_acc", 2, rf"{_TRAIN}{_SEP}{_TOP1}{_AGG}"),
    # validation accuracy
    ("val_acc", 0, rf"{_VAL}{_SEP}(?:epoch_)?(?:{_ACC}|{_TOP1}){_AGG}"),
    ("val_acc", 0, rf"(?:{_ACC}|{_TOP1}){_SEP}{_VAL}"),
    ("val_acc", 1, rf"{_TOP1}"),  # timm, torchvision: top1 / acc1 are evaluation metrics
    ("val_acc", 2, r"metrics/map50\(b\)"),  # Ultralytics
    ("val_acc", 3, r"metrics/map50-95\(b\)"),
    ("val_acc", 4, r"(?:metrics/)?map(?:50)?(?:\(\w\))?"),
    ("val_acc", 5, rf"test{_SEP}{_ACC}{_AGG}|{_ACC}{_SEP}test"),
    # learning rate
    ("lr", 0, rf"(?:{_TRAIN}/)?(?:epoch_)?{_LR}"),
    ("lr", 1, r"lr-\w+"),  # Lightning LearningRateMonitor: lr-SGD, lr-Adam
    ("lr", 1, r"(?:lr|lr-\w+)/pg0"),  # Ultralytics lr/pg0; Lightning lr-Adam/pg0
    ("lr", 2, r"(?:lr|lr-\w+)/pg\d+"),
    ("lr", 2, rf"{_LR}[_/]\d+"),
    ("lr", 3, rf"(?:optim|optimizer|opt)/{_LR}\w*"),
    # gradient norm
    ("grad_norm", 0, r"(?:train/)?(?:grad_norm|gradient_norm|grad/norm|grads/norm"
     r"|gradient/norm|gradients/norm|gradnorm)"),
    ("grad_norm", 1, r"grad_[\d.]+_norm_total|grad_norm_total"),  # Lightning
    ("grad_norm", 3, r".*grad\w*[/_]norm.*"),
)

_COMPILED = tuple((role, rank, re.compile(pat)) for role, rank, pat in PATTERNS)


@lru_cache(maxsize=65536)
def classify(tag: str) -> tuple[tuple[str, int], ...]:
    """Every (role, best rank) a tag could play, by the pattern table."""
    low = tag.strip().lower()
    best: dict[str, int] = {}
    for role, rank, pattern in _COMPILED:
        if pattern.fullmatch(low) and rank < best.get(role, 1 << 30):
            best[role] = rank
    return tuple(sorted(best.items(), key=lambda item: item[1]))


def infer_roles(
    tags: Iterable[str],
    overrides: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Map roles to tags: ``{"train_loss": "train/loss", ...}`` (roles without a tag left out).

    ``overrides`` (role -> tag, from ``[tool.curvedoc.roles]``) win where the run has that
    tag. ``counts`` (tag -> number of points) lets a per-step curve beat an epoch aggregate.
    A tag plays at most one role.
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
                1 if re.search(r"[/_\-.]epoch$", tag.lower()) else 0,
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
