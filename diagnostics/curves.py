"""A run's curves prepared once for every rule: cleaned, binned, smoothed, oriented.

Accuracy-like metrics are turned into an *error* (1 - accuracy) so every rule
reads "lower is better"; a rule that needs accuracy itself uses ``Curve.raw``. A speech
recogniser's validation word error rate, where no accuracy is logged, stands for one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.model import Run, last_attempt_rows, resumed_steps, tag_rows
from curvedoc.ingest.roles import ACCURACY_WORDS, meaning, words

from . import stats

#: hparams keys that name the number of classes (first found wins; nested keys such as
#: ``model/num_classes`` or ``data.n_classes`` count by their last part).
CLASS_KEYS = ("num_classes", "n_classes", "nclasses", "num_class", "n_class", "class_num",
              "classes", "num_labels", "n_labels", "nlabels", "nc", "n_way", "num_categories",
              "n_categories", "out_classes", "label_count", "num_outputs_classes")
#: Scores that are fractions of a whole (or percentages): read as an error 1 - x, so that
#: 99% -> 99.5% halves it. Any other score (BLEU, a reward, PSNR) is judged on its own level.
FRACTION_SCORES = frozenset({None, "acc", "accuracy", "top1", "acc1", "acc@1", "f1", "fscore",
                             "f1score", "fbeta", "precision", "prec", "recall", "rec",
                             "sensitivity", "specificity", "iou", "miou", "jaccard", "dice",
                             "map", "map50", "map75", "auc", "auroc", "roc", "ap", "exact",
                             "em", "hit", "hits", "success"})
#: Error rates logged as a validation score, lower is better (a speech recogniser's word and
#: character error rates, a translation's edit rate): where no validation accuracy is logged,
#: such a rate is the run's validation score, read as the error of an accuracy (1 - WER).
ERROR_RATES = frozenset({"wer", "cer", "ter"})
#: A per-class metric tag (``class_3_acc``, ``acc/class_7``): the run has at least 4 (8)
#: classes; with every class from 0 logged, exactly that many.
_CLASS_TAG = re.compile(r"(?:^|[^a-z])(?:class|cls)[ _\-]?(\d+)(?:[^a-z0-9]|$)")


#: A validation error this small at the end (accuracy 99%+) is a task solved.
NEAR_PERFECT = 0.01
#: An accuracy whose error fell to this fraction of where it began, by at least
#: ``ACC_LEARNED_POINTS`` (0.1 = ten points), learned: the optimiser descended, whatever a
#: loss beside it (a weighted sum with a ramped term) did.
ACC_LEARNED_SHARE = 0.5
ACC_LEARNED_POINTS = 0.1
#: Class counts so common that a training loss that sits at ln(C) of one of them, from its
#: first point to its last, says C (binary, the ten digits or CIFAR-10, CIFAR-100, ImageNet):
#: a cross-entropy that never left uniform predictions...
ROUND_CLASSES = (2, 10, 100, 1000)
#: ...its median within this relative distance of ln(C), every point within four times it.
AT_ROUND_CHANCE = 0.005


@dataclass
class Curve:
    """One role's series: raw points, and a finite, binned, smoothed lower-is-better view."""

    role: str
    tag: str
    steps: np.ndarray  # all logged steps (int64)
    raw: np.ndarray  # all logged values, NaN/inf kept
    kind: str = "loss"  # "loss" or "error" (an accuracy turned into 1 - acc)
    acc_scale: float = 1.0  # 100 when accuracy was logged in percent
    #: Each point is an average over an epoch (or a logging interval): an ``_epoch`` tag,
    #: or a table logged once per epoch. Its first point is no value at initialisation.
    aggregated: bool = False
    #: The per-step series beside this per-epoch one (Lightning's ``train_loss_step``):
    #: what NaN and explosion checks read; None when this curve is the finest logged.
    fine: Curve | None = None
    #: A higher-is-better score that is no fraction (a reward, BLEU x 100), negated so that
    #: lower is better; ``value_of`` turns it back.
    negated: bool = False
    #: An error rate (``ERROR_RATES``) standing for an accuracy: ``raw`` holds 1 - rate
    #: (times ``acc_scale``) as an accuracy would, ``value_of`` gives the rate as logged.
    error_rate: bool = False

    @cached_property
    def finite(self) -> np.ndarray:
        return np.isfinite(self.raw)

    @cached_property
    def first_bad_step(self) -> int | None:
        """The first step whose value is NaN or inf (None when all are finite)."""
        bad = np.flatnonzero(~self.finite)
        return int(self.steps[bad[0]]) if len(bad) else None

    @cached_property
    def y_all(self) -> np.ndarray:
        """Finite values, oriented lower-is-better."""
        v = self.raw[self.finite]
        return 1.0 - v / self.acc_scale if self.kind == "error" else v

    @cached_property
    def x_all(self) -> np.ndarray:
        return self.steps[self.finite].astype(np.float64)

    @cached_property
    def _binned(self) -> tuple[np.ndarray, np.ndarray]:
        return stats.bin_median(self.x_all, self.y_all)

    @property
    def x(self) -> np.ndarray:
        """Steps of the binned curve (at most ``stats.MAX_POINTS``)."""
        return self._binned[0]

    @property
    def y(self) -> np.ndarray:
        """Binned values (medians), lower is better."""
        return self._binned[1]

    @cached_property
    def ys(self) -> np.ndarray:
        """The binned curve smoothed without lag."""
        return stats.smooth(self.y)

    @cached_property
    def ym(self) -> np.ndarray:
        """The binned curve under a centred 5-point rolling median: follows sharp turns
        (a fast first drop, a minimum) that a polynomial smooth would round off."""
        return stats.rolling_median(self.y, 5) if len(self.y) >= 5 else self.y

    @cached_property
    def setback(self) -> float:
        """``stats.max_setback`` of the curve under its 5-point rolling median: a loss that
        climbs back for a while, not one spike."""
        return stats.max_setback(self.ym)

    @cached_property
    def start(self) -> float:
        """The level the binned curve started from: the median of its first three points
        (a noisy first batch, or a rate that blew the loss up at once, is no start to
        measure against), or its first point when that stands above them by more than
        the curve's noise could put it (a loss that fell 90% in its first interval started
        at its first point, not on the floor it reached)."""
        first, med = float(self.y[0]), float(np.median(self.y[:3]))
        return first if first - med > 4 * self.noise + 0.05 * abs(med) else med

    @property
    def n(self) -> int:
        return len(self.y_all)

    @cached_property
    def scale(self) -> float:
        return stats.scale_of(self.y_all)

    @cached_property
    def noise(self) -> float:
        """Point-to-point noise (robust sigma of the residual around the smoothed curve).

        Measured on the second half of the run, where a learning curve has
        settled and its trend no longer inflates the residual.
        """
        if self.n < 7:
            return 0.0
        smooth_all = np.interp(self.x_all, self.x, self.ys)
        half = self.n // 2
        return stats.robust_sigma((self.y_all - smooth_all)[half:])

    @property
    def higher_is_better(self) -> bool:
        """Whether the metric as logged rises as the model learns (a score)."""
        return self.kind == "error" or self.negated

    @property
    def is_loss(self) -> bool:
        """A loss-like metric as logged (lower is better, not a negated score)."""
        return self.kind == "loss" and not self.negated

    @property
    def own_span(self) -> float:
        """The steps this curve spans (at least 1)."""
        return max(float(self.steps[-1] - self.steps[0]), 1.0) if len(self.steps) else 1.0

    @property
    def finest(self) -> Curve:
        """The per-step series when one was logged beside this one, else this curve."""
        return self.fine or self

    @property
    def is_accuracy(self) -> bool:
        """An accuracy proper (the share of right answers, ceiling 1), read as its error:
        not a detector's mAP nor an IoU."""
        return self.kind == "error" and meaning(self.tag).metric in ACCURACY_WORDS

    @cached_property
    def one_example(self) -> bool:
        """An accuracy whose every value is exactly 0 or 1, both logged: each point scored
        a single example (a batch of one, logged per step), so it has no level to read."""
        if self.kind != "error":
            return False
        values = self.raw[self.finite] / self.acc_scale
        return len(values) >= 5 and set(np.unique(values).tolist()) == {0.0, 1.0}

    def before(self, step: int) -> Curve:
        """The curve as far as it was logged before ``step``."""
        keep = self.steps < step
        fine = self.fine.before(step) if self.fine is not None else None
        return replace(self, steps=self.steps[keep], raw=self.raw[keep], fine=fine)

    def value_of(self, y: float) -> float:
        """Turn a lower-is-better value back into the logged unit."""
        if self.negated:
            return -y
        if self.error_rate:
            return y * self.acc_scale
        return (1.0 - y) * self.acc_scale if self.kind == "error" else y

    def same_scale(self, other: Curve) -> bool:
        """Whether two curves measure on one scale: both losses, both errors of an accuracy,
        or both scores of their own (a BLEU or a PESQ is no loss to set beside one)."""
        return self.kind == other.kind and self.negated == other.negated

    def at(self, step: float) -> float:
        """The value at a step (rolling median, interpolated)."""
        return float(np.interp(step, self.x, self.ym))


def _curve(role: str, tag: str, steps: np.ndarray, values: np.ndarray,
           aggregated: bool) -> Curve:
    """One role's Curve, a score oriented lower-is-better."""
    if role.endswith("_acc"):
        kind, acc_scale = _orient(values)
        if meaning(tag).metric not in FRACTION_SCORES:
            acc_scale = float("nan")  # BLEU, a reward, PSNR: a level of its own, no 1 - x
        if not np.isfinite(acc_scale):  # a higher-is-better score that is no fraction
            return Curve(role, tag, steps, -values, "loss", 1.0, aggregated, negated=True)
        return Curve(role, tag, steps, values, kind, acc_scale, aggregated)
    return Curve(role, tag, steps, values, aggregated=aggregated)


def _error_rate_score(tags: list[str], series, aggregated: bool) -> Curve | None:
    """The validation score a speech recogniser or translator logs instead of an accuracy:
    its first validation error rate (``eval_wer``, ``val/cer``; ``ERROR_RATES``) that is a
    fraction or a percentage, as the error of an accuracy; None when it logs none."""
    for tag in tags:
        m = meaning(tag)
        if m.metric not in ERROR_RATES or m.phase not in ("val", None) or m.qualifiers:
            continue
        steps, values = series(tag)
        finite = values[np.isfinite(values)]
        if len(finite) < 3:
            continue
        _, scale = _orient(finite)
        if not np.isfinite(scale):
            continue  # a rate above 100% (more edits than words): no accuracy to stand for
        steps, values = _without_final_extra(steps, values)
        return Curve("val_acc", tag, steps, scale - values, "error", scale,
                     aggregated or "epoch" in words(tag), error_rate=True)
    return None


def _median_over_groups(tag: str, tags: list[str], series) -> tuple[np.ndarray, np.ndarray]:
    """A learning rate logged per parameter group (``lr/pg0``, ``lr/pg1``, ... or ``x/lr0``
    ...: the same tag but for its digits), at the same steps: the median over the groups
    at each step. Ultralytics warms its bias group *down* from a high rate while the
    weights warm up; that group's fall is no cut of the run's rate."""
    steps, values = series(tag)
    shape = re.sub(r"\d+", "#", tag)
    groups = [values]
    for other in tags:
        if other != tag and re.sub(r"\d+", "#", other) == shape:
            s2, v2 = series(other)
            if np.array_equal(s2, steps):
                groups.append(v2)
    if len(groups) < 3:  # two groups have no majority to follow
        return steps, values
    return steps, np.median(np.vstack(groups), axis=0)


#: An evaluation logged this close after the one before (a share of the usual interval) is
#: a separate one after training (Lightning's ``validate()`` after ``fit()``, a Trainer's
#: ``evaluate()`` of the best checkpoint), not the curve's next point.
OFF_CADENCE = 0.1


def _without_final_extra(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A series evaluated every few steps, without a last point logged off its cadence: at
    the step of the one before, or within :data:`OFF_CADENCE` of the usual interval after it."""
    if len(steps) < 4:
        return steps, values
    gaps = np.diff(steps)
    usual = float(np.median(gaps[:-1]))
    if usual >= 2 and gaps[-1] <= OFF_CADENCE * usual:
        return steps[:-1], values[:-1]
    return steps, values


def _without_constant_loss(roles: dict[str, str], tags: list[str], series) -> dict[str, str]:
    """Roles with a training loss that is one value in every row (a detector's box loss at 0
    when no box was matched: a term with nothing to measure) replaced by a sibling term of
    the same split that moves (``train/box_loss`` -> ``train/cls_loss``), and the
    validation loss by the same term where it is logged, so that the two still pair."""
    t = roles.get("train_loss")
    if t is None:
        return roles
    values = series(t)[1]
    finite = values[np.isfinite(values)]
    if len(finite) < 3 or float(np.ptp(finite)) > 0:
        return roles
    w = words(t)
    for other in tags:
        o = words(other)
        if other == t or len(o) != len(w) or sum(a != b for a, b in zip(o, w, strict=True)) != 1:
            continue
        ov = series(other)[1]
        ov = ov[np.isfinite(ov)]
        same = meaning(other), meaning(t)
        if (len(ov) < 3 or float(np.ptp(ov)) == 0 or same[0].metric != same[1].metric
                or same[0].phase != same[1].phase):
            continue
        swapped = dict(roles, train_loss=other)
        v = roles.get("val_loss")
        if v is not None:
            old, new = next((a, b) for a, b in zip(w, o, strict=True) if a != b)
            twin = next((x for x in tags if words(x) == tuple(new if y == old else y
                                                               for y in words(v))), None)
            if twin is not None:
                swapped["val_loss"] = twin
        return swapped
    return roles


def _sibling(tag: str, tags: list[str]) -> str | None:
    """The epoch series of a step series or the step series of an epoch one
    (``train_loss_step`` <-> ``train_loss_epoch``), when both were logged."""
    w = words(tag)
    if w[-1:] not in (("step",), ("epoch",)):
        return None
    other = "epoch" if w[-1] == "step" else "step"
    want = (*w[:-1], other)
    return next((t for t in tags if t != tag and words(t) == want), None)


def _one_row_per_epoch(step_arrays: list[np.ndarray]) -> bool:
    """A table logged once per epoch (Keras CSVLogger, Ultralytics, most hand-written CSV
    loggers): every loss and metric shares the same consecutive steps."""
    arrays = [a for a in step_arrays if len(a)]
    if len(arrays) < 2 or len(arrays[0]) > 5000:
        return False
    first = arrays[0]
    return (all(len(a) == len(first) and np.array_equal(a, first) for a in arrays[1:])
            and bool(np.all(np.diff(np.unique(first)) == 1)))  # an epoch logged twice too


def _classes_in_hparams(hp: dict[str, Any], depth: int = 0) -> tuple[int, str] | None:
    """The class count in the hparams (nested dicts and ``a/b``, ``a.b`` keys included)."""
    for key, value in hp.items():
        last = re.split(r"[/.]", str(key))[-1].lower()
        if last in CLASS_KEYS:
            c = len(value) if isinstance(value, (list, tuple)) and last == "classes" else value
            try:
                n = int(c) if float(c) == int(float(c)) else 0
            except (TypeError, ValueError, OverflowError):
                continue
            if 2 <= n <= 10_000_000:
                return n, f"hparams[{key!r}]"
    if depth < 3:
        for value in hp.values():
            if isinstance(value, dict):
                found = _classes_in_hparams(value, depth + 1)
                if found is not None:
                    return found
    return None


def _orient(values: np.ndarray) -> tuple[str, float]:
    finite = values[np.isfinite(values)]
    if len(finite) and finite.min() >= 0 and finite.max() <= 1.0 + 1e-9:
        return "error", 1.0
    if len(finite) and finite.min() >= 0 and finite.max() <= 100.0:
        return "error", 100.0
    return "error", float("nan")


@dataclass
class Curves:
    """Everything the rules read from one run."""

    run: Run
    config: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, Curve] = field(default_factory=dict)
    #: tag -> the steps it logged more than once where its step went back (a restart; rows
    #: logged one after another at one step are no overlap), as logged; the curves keep
    #: what the last attempt left (``last_attempt_rows``)
    repeats: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, run: Run, config: dict[str, Any] | None = None,
           roles: dict[str, str] | None = None) -> Curves:
        """Prepare every role the run has (roles with no finite-or-not rows are skipped).

        ``roles`` replaces the run's own (one evaluation set among several, say). Where a
        per-epoch series sits beside the per-step one (Lightning's ``train_loss_epoch`` and
        ``train_loss_step``), the curve is the epoch series and ``Curve.fine`` the step one.
        """
        config = config or {}
        out = cls(run=run, config=config)
        own_roles = roles is None
        roles = run.roles if roles is None else roles
        frame = run.scalars
        if len(frame) == 0 or not roles:
            return out
        all_steps = frame["step"].to_numpy()
        all_values = frame["value"].to_numpy(dtype=np.float64)
        rows_of = tag_rows(frame["tag"])
        tags = [str(t) for t in pd.unique(frame["tag"])]

        resumed: list[bool] | None = None  # the run's one decision, made when first needed

        def series(tag: str) -> tuple[np.ndarray, np.ndarray]:
            nonlocal resumed
            idx = rows_of(tag)  # in the order logged; its last attempt is in step order
            steps = all_steps[idx]
            if len(steps) > 1 and not np.all(np.diff(steps) > 0):
                if (np.diff(steps) < 0).any():  # a restart (rows per step are no overlap)
                    ordered = np.sort(steps)
                    out.repeats[tag] = ordered[1:][ordered[1:] == ordered[:-1]]
                if resumed is None:
                    resumed = run.resumed()
                steps = resumed_steps(steps, resumed)
                keep = last_attempt_rows(steps)
                return steps[keep], all_values[idx[keep]]
            return steps, all_values[idx]

        roles = _without_constant_loss(roles, tags, series)
        raw = {role: (_median_over_groups(tag, tags, series) if role == "lr" else series(tag))
               for role, tag in roles.items()}
        per_row = _one_row_per_epoch([raw[r][0] for r in raw if r not in ("lr", "grad_norm")])
        for role, tag in roles.items():
            steps, values = raw[role]
            if len(steps) == 0:
                continue
            fine_tag = None
            sibling = _sibling(tag, tags)
            if sibling is not None and words(tag)[-1:] == ("step",):
                fine_tag, tag = tag, sibling
                steps, values = series(tag)
            elif sibling is not None and words(tag)[-1:] == ("epoch",):
                fine_tag = sibling
            aggregated = per_row or "epoch" in words(tag)
            curve = _curve(role, tag, *_without_final_extra(steps, values), aggregated)
            if fine_tag is not None:
                curve.fine = _curve(role, fine_tag, *series(fine_tag), False)
            out.curves[role] = curve
        if own_roles and "val_acc" not in out.curves:
            score = _error_rate_score([t for t in tags if t not in roles.values()], series,
                                      per_row)
            if score is not None:
                out.curves["val_acc"] = score
        return out

    def for_roles(self, roles: dict[str, str]) -> Curves:
        """The same run judged with other role tags (another evaluation set)."""
        return Curves.of(self.run, self.config, roles)

    def get(self, role: str) -> Curve | None:
        c = self.curves.get(role)
        return c if c is not None and c.n > 0 else None

    @property
    def train(self) -> Curve | None:
        """The training curve: loss if logged, else training error from accuracy."""
        return self.get("train_loss") or self.get("train_acc")

    @property
    def val(self) -> Curve | None:
        """The validation curve: loss if logged, else validation error from accuracy."""
        return self.get("val_loss") or self.get("val_acc")

    @cached_property
    def num_classes(self) -> tuple[int | None, str]:
        """(C, where it came from) for the chance loss ln(C); (None, reason) when unknown.

        From the hparams (``num_classes``, ``n_classes``, ``num_labels``, ``nc``,
        ``classes`` ... at any depth), the config, per-class metric tags logged from
        ``class_0`` on, or an accuracy logged before any update (about 1/C). Never from an
        accuracy logged after an epoch: by then the model has learned. Failing those, a
        training loss that sat at ln(C) of a round C (``ROUND_CLASSES``) at every point
        says C: it never left uniform predictions.
        """
        found = _classes_in_hparams(self.run.hparams or {})
        if found is not None:
            return found
        c = self.config.get("num_classes")
        if isinstance(c, int) and not isinstance(c, bool) and c >= 2:
            return c, "config num_classes"
        indices = {int(m.group(1)) for t in pd.unique(self.run.scalars["tag"])
                   if (m := _CLASS_TAG.search(str(t).lower()))}
        if len(indices) >= 2 and indices == set(range(len(indices))):
            return len(indices), f"per-class metrics class_0 ... class_{len(indices) - 1}"
        for role in ("val_acc", "train_acc"):
            acc = self.get(role)
            if acc is None or acc.kind != "error" or acc.error_rate or not self.at_init(acc):
                continue
            a0 = float(acc.raw[acc.finite][0]) / acc.acc_scale if acc.finite[0] else -1.0
            if 0.001 <= a0 <= 0.5:
                return max(2, round(1.0 / a0)), f"{role} at step {acc.steps[0]} ({a0:.3g} ~ 1/C)"
        t = self.train
        if t is not None and t.is_loss and t.finite.sum() >= 3:
            y = t.raw[t.finite]
            for k in ROUND_CLASSES:
                dist = np.abs(y / np.log(k) - 1.0)
                if np.median(dist) <= AT_ROUND_CHANCE and dist.max() <= 4 * AT_ROUND_CHANCE:
                    return k, "the level the training loss sat at throughout"
        return None, ("unknown: no num_classes in hparams or config, no per-class metrics, "
                      "no accuracy logged before the first update")

    @cached_property
    def accuracy_learned(self) -> bool:
        """The training accuracy (else the validation accuracy) learned: its error ended
        at ``ACC_LEARNED_SHARE`` of where its first points began, by ``ACC_LEARNED_POINTS``
        of the whole at least."""
        acc = self.get("train_acc") or self.get("val_acc")
        if acc is None or acc.kind != "error" or len(acc.y) < 5:
            return False
        first, end = float(np.median(acc.y[:3])), stats.last_tenth(acc.y)
        return end <= ACC_LEARNED_SHARE * first and first - end >= ACC_LEARNED_POINTS

    @cached_property
    def val_perfect(self) -> bool:
        """The validation accuracy (a fraction of the whole) ends within NEAR_PERFECT of 1:
        every validation example is right, so a gap in the loss beside it costs nothing."""
        va = self.get("val_acc")
        return (va is not None and va.kind == "error" and len(va.y) >= 3
                and stats.last_tenth(va.y) <= NEAR_PERFECT)

    def at_init(self, curve: Curve) -> bool:
        """Whether a curve's first point was logged before any update: at the run's first
        step, which is 0 (or 1 in a log that counts from 1), and not an average over an
        epoch or a logging interval (then the model has already learned)."""
        return (not curve.aggregated and len(curve.steps) > 0
                and int(curve.steps[0]) == self.first_step <= 1)

    @cached_property
    def axes_differ(self) -> str | None:
        """Why training and validation can't be compared step by step, or None: one is
        logged against the epoch and the other against the global step (a common slip:
        ``add_scalar("Loss/train", loss, step)`` beside ``add_scalar("Loss/val", v, epoch)``)."""
        t, v = self.train, self.val
        if t is None or v is None or t.n < 10 or v.n < 3:
            return None
        tl, vl = float(t.steps[-1]), float(v.steps[-1])
        if vl <= 0.05 * tl or tl <= 0.05 * vl:
            return (f"{t.tag!r} ends at step {tl:,.0f} but {v.tag!r} at {vl:,.0f}: one is "
                    "logged against epochs, the other against steps")
        return None

    @property
    def chance_loss(self) -> float | None:
        c = self.num_classes[0]
        return math.log(c) if c else None

    @cached_property
    def augmentation_off(self) -> int | None:
        """The first step whose training loss was measured without the augmentation the
        run trained with before, where its settings say so: Ultralytics' ``close_mosaic``
        turns mosaic off for the last N of its ``epochs`` (not in classification, which has
        none), and the training loss drops at once while validation, never augmented, does
        not. None when nothing was switched off, or the run stopped before."""
        hp = self.run.hparams or {}
        n, total = hp.get("close_mosaic"), hp.get("epochs")
        if (not isinstance(n, int) or not isinstance(total, int) or isinstance(n, bool)
                or hp.get("task") == "classify" or not 0 < n < total
                or not hp.get("mosaic", 1.0)):
            return None
        at = self.first_step + total - n
        return at if at <= self.last_step else None

    @cached_property
    def first_step(self) -> int:
        firsts = [int(c.finest.steps[0]) for c in self.curves.values() if len(c.finest.steps)]
        return min(firsts) if firsts else 0

    @cached_property
    def last_step(self) -> int:
        lasts = [int(c.steps[-1]) for c in self.curves.values() if len(c.steps)]
        return max(lasts) if lasts else 0

    @property
    def span(self) -> int:
        return self.last_step - self.first_step
