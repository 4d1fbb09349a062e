"""A run's curves prepared once for every rule: cleaned, binned, smoothed, oriented.

Accuracy-like metrics are turned into an *error* (1 - accuracy) so every rule
reads "lower is better"; a rule that needs accuracy itself uses ``Curve.raw``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.ingest.model import Run

from . import stats

#: hparams keys that name the number of classes (first found wins).
CLASS_KEYS = ("num_classes", "n_classes", "nclasses", "classes", "num_labels", "n_labels")


@dataclass
class Curve:
    """One role's series: raw points, and a finite, binned, smoothed lower-is-better view."""

    role: str
    tag: str
    steps: np.ndarray  # all logged steps (int64)
    raw: np.ndarray  # all logged values, NaN/inf kept
    kind: str = "loss"  # "loss" or "error" (an accuracy turned into 1 - acc)
    acc_scale: float = 1.0  # 100 when accuracy was logged in percent

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

    def value_of(self, y: float) -> float:
        """Turn a lower-is-better value back into the logged unit."""
        return (1.0 - y) * self.acc_scale if self.kind == "error" else y

    def at(self, step: float) -> float:
        """The value at a step (rolling median, interpolated)."""
        return float(np.interp(step, self.x, self.ym))


def _tag_rows(col: pd.Series):
    """A function tag -> row positions, fast on the categorical tag column."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        index = {str(c): i for i, c in enumerate(col.cat.categories.tolist())}
        codes = col.cat.codes.to_numpy()

        def rows(tag: str) -> np.ndarray:
            code = index.get(tag)
            return np.flatnonzero(codes == code) if code is not None else np.array([], int)

        return rows
    values = col.astype(str).to_numpy()
    return lambda tag: np.flatnonzero(values == tag)


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

    @classmethod
    def of(cls, run: Run, config: dict[str, Any] | None = None) -> Curves:
        """Prepare every role the run has (roles with no finite-or-not rows are skipped)."""
        config = config or {}
        out = cls(run=run, config=config)
        frame = run.scalars
        if len(frame) == 0 or not run.roles:
            return out
        all_steps = frame["step"].to_numpy()
        all_values = frame["value"].to_numpy(dtype=np.float64)
        rows_of = _tag_rows(frame["tag"])
        for role, tag in run.roles.items():
            idx = rows_of(tag)
            if len(idx) == 0:
                continue
            steps, values = all_steps[idx], all_values[idx]
            if len(steps) > 1 and np.any(np.diff(steps) < 0):
                order = np.argsort(steps, kind="stable")
                steps, values = steps[order], values[order]
            if role.endswith("_acc"):
                kind, acc_scale = _orient(values)
                if not np.isfinite(acc_scale):  # a higher-is-better score that is no fraction
                    values = -values
                    kind, acc_scale = "loss", 1.0
                out.curves[role] = Curve(role, tag, steps, values, kind, acc_scale)
            else:
                out.curves[role] = Curve(role, tag, steps, values)
        return out

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
        """(C, where it came from) for the chance loss ln(C); (None, reason) when unknown."""
        hp = self.run.hparams or {}
        for key in CLASS_KEYS:
            value = hp.get(key)
            try:
                c = int(value)
            except (TypeError, ValueError):
                continue
            if c >= 2:
                return c, f"hparams[{key!r}]"
        c = self.config.get("num_classes")
        if isinstance(c, int) and c >= 2:
            return c, "config num_classes"
        for role in ("val_acc", "train_acc"):
            acc = self.get(role)
            if acc is None or acc.kind != "error" or acc.steps[0] > self.first_step + 0.01 * (
                self.span or 1
            ):
                continue
            a0 = float(acc.raw[acc.finite][0]) / acc.acc_scale
            if 0.001 <= a0 <= 0.5:
                return max(2, round(1.0 / a0)), f"{role} at init ({a0:.3g} ~ 1/C)"
        return None, "unknown: no num_classes in hparams or config, no accuracy at init"

    @property
    def chance_loss(self) -> float | None:
        c = self.num_classes[0]
        return math.log(c) if c else None

    @cached_property
    def first_step(self) -> int:
        firsts = [int(c.steps[0]) for c in self.curves.values() if len(c.steps)]
        return min(firsts) if firsts else 0

    @cached_property
    def last_step(self) -> int:
        lasts = [int(c.steps[-1]) for c in self.curves.values() if len(c.steps)]
        return max(lasts) if lasts else 0

    @property
    def span(self) -> int:
        return self.last_step - self.first_step
