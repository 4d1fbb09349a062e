"""Labelled synthetic learning curves: the evaluation set and the tests' fixtures.

``make_run(label, seed, family)`` builds a ``Run`` whose curves show one known
fault (or none: ``label="healthy"``) with random shape, length, noise, scale,
logging layout (per-step train + per-epoch validation, epoch-only, loss-only
regression, with or without LR / gradient norm / accuracy).

Curves follow a "progress clock": progress p(t) = integral of lr(s)/lr0, and the
loss falls as floor + (start - floor) * decay(p). A learning-rate cut therefore
slows learning the way it does in a real run.

Three shape families keep tuning and evaluation apart:

* ``"tune"``: exponential decay, Gaussian noise.
* ``"varied"``: also power-law and two-phase decays, heavy-tailed Student-t
  noise, accuracy in percent, logging without validation.
* ``"unseen"``: shapes and noise never looked at while tuning: stretched-
  exponential and hyperbolic decays, autocorrelated AR(1) and Laplace noise,
  irregular validation intervals, steps starting at 1.

Thresholds were tuned on seeds 0-99 of "tune" and "varied" only; the held-out
scores are seeds >= 1000 of "varied" and "unseen" (benchmarks/bench_diagnostics.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from curvedoc.ingest.model import Run

FAMILIES = ("tune", "varied", "unseen")
KINDS = ("healthy", "bad_init", "lr_too_high", "decayed_too_early", "keep_training",
         "overfitting", "underfitting")


def make_run(label: str, seed: int, family: str = "tune", run_id: str | None = None,
             n_points: int | None = None) -> Run:
    """One labelled run; ``run.hparams["true_label"]`` holds the label it was made with."""
    rng = np.random.default_rng([seed, KINDS.index(label), FAMILIES.index(family)])
    g = _Gen(rng, family, label, n_points)
    g.build()
    rid = run_id or f"{label}/{family}-{seed}"
    return g.run(rid)


class _Gen:
    def __init__(self, rng, family, label, n_points):
        self.rng, self.family, self.label = rng, family, label
        r = rng
        self.epoch_only = n_points is None and r.random() < 0.15
        if n_points is None:
            n_points = int(r.integers(8, 30)) if self.epoch_only else int(
                r.choice([60, 300, 1000, 3000, 10000]))
        self.n = n_points
        self.steps_total = int(self.n * r.choice([1, 10, 50])) if not self.epoch_only else self.n
        self.steps = np.linspace(0 if not self.epoch_only else 1, self.steps_total,
                                 self.n).round().astype(np.int64)
        self.t = (self.steps - self.steps[0]) / max(self.steps[-1] - self.steps[0], 1)
        self.classify = r.random() < 0.7
        self.C = int(r.choice([2, 10, 100, 1000])) if self.classify else None
        self.L0 = math.log(self.C) if self.classify else float(10 ** r.uniform(-2, 3))
        self.n_val = self.n if self.epoch_only else int(min(self.n, r.integers(10, 60)))
        heldout = family != "tune"
        self.shape = {"tune": "exp", "varied": r.choice(["exp", "power", "twophase"]),
                      "unseen": r.choice(["stretched", "hyperbolic"])}[family]
        self.noise_kind = {"tune": "gauss", "varied": r.choice(["gauss", "student"]),
                           "unseen": r.choice(["ar1", "laplace"])}[family]
        if family == "unseen":  # irregular logging that starts at step 1
            jitter = np.sort(r.uniform(0, 1, self.n))
            jitter = (jitter - jitter[0]) / max(jitter[-1] - jitter[0], 1e-12)
            self.steps = np.unique(1 + (jitter * self.steps_total).round().astype(np.int64))
            self.n = len(self.steps)
            self.t = (self.steps - self.steps[0]) / max(self.steps[-1] - self.steps[0], 1)
            self.n_val = min(self.n_val, self.n)
        self.sigma = r.uniform(0.01, 0.04) if self.epoch_only else r.uniform(0.02, 0.12)
        # Per-step minibatch losses of a sound run can be very noisy (a small batch, a hard
        # task): noise around a falling trend is no learning-rate problem.
        if label == "healthy" and not self.epoch_only and r.random() < 0.3:
            self.sigma = r.uniform(0.2, 0.45)
        self.spiky = False
        self.log_lr = r.random() < 0.6
        self.log_grad = r.random() < 0.4
        self.log_acc = self.classify and r.random() < 0.6
        self.percent = heldout and r.random() < 0.3
        # overfitting and underfitting are told by validation beside training: a run made
        # to show one of them logs it (a bare training loss that barely moved, without
        # ln(C) or an accuracy, is no evidence of a poor plateau)
        self.log_val = (not (heldout and r.random() < 0.1)
                        or label in ("overfitting", "underfitting"))
        self.hp = {"lr": float(r.choice([1e-3, 3e-4, 0.01, 0.1]))}
        if self.classify and r.random() < 0.6:
            self.hp["num_classes"] = self.C
        self.scalars: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.warnings: list[str] = []

    # -- pieces ---------------------------------------------------------------------------
    def decay(self, p, tau):
        """1 at p=0, falling towards 0; the shape family decides how."""
        if self.shape == "power":
            t0 = tau / 4
            return (1 + p / t0) ** -1.5
        if self.shape == "twophase":
            return 0.6 * np.exp(-p / (tau / 3)) + 0.4 * np.exp(-p / tau)
        if self.shape == "stretched":
            return np.exp(-((p / tau) ** 0.7))
        if self.shape == "hyperbolic":
            return (1 + p / (tau / 6)) ** -2.5
        return np.exp(-p / tau)

    def noise(self, n, sigma):
        r = self.rng
        if self.noise_kind == "student":
            e = r.standard_t(3, n) / math.sqrt(3)
        elif self.noise_kind == "laplace":
            e = r.laplace(0, 1 / math.sqrt(2), n)
        elif self.noise_kind == "ar1":
            rho = r.uniform(0.3, 0.7)
            w = r.normal(0, math.sqrt(1 - rho**2), n)
            e = np.empty(n)
            e[0] = r.normal()
            for i in range(1, n):
                e[i] = rho * e[i - 1] + w[i]
        else:
            e = r.normal(0, 1, n)
        return 1 + sigma * np.clip(e, -4, 4)

    def schedule(self, kind):
        t = self.t
        if kind == "constant":
            return np.ones_like(t)
        if kind == "cosine":
            return 0.5 * (1 + np.cos(np.pi * t)) + 1e-3
        if kind == "late_step":
            return np.where(t < 0.75, 1.0, 0.1)
        if kind == "warmup":
            return np.minimum(1.0, (t + 1e-3) / 0.05)
        raise ValueError(kind)

    @staticmethod
    def clock(lr):
        """Progress: the integral of lr/lr0 over normalised time."""
        p = np.concatenate([[0.0], np.cumsum((lr[1:] + lr[:-1]) / 2 * np.diff(np.linspace(
            0, 1, len(lr))))])
        return p

    # -- the run --------------------------------------------------------------------------
    def build(self):
        r, L0 = self.rng, self.L0
        lab = self.label
        lr = self.schedule(r.choice(["constant", "cosine", "late_step", "warmup"]))
        floor = L0 * r.uniform(0.02, 0.15)
        tau = r.uniform(0.03, 0.12)
        start = L0
        gap = r.uniform(0.05, 0.3)
        val_rise = None
        self.acc_max = r.uniform(0.9, 0.99)
        grad = None
        if lab == "keep_training":
            lr = self.schedule(r.choice(["constant", "warmup"]))
            tau = r.uniform(0.6, 2.0)
            floor = L0 * r.uniform(0.0, 0.1)
        elif lab == "underfitting":
            # without ln(C) or an accuracy, only a loss that kept most of its start is
            # visibly poor (a regression's 0.5 x its start may be all the data allows)
            floor = L0 * (r.uniform(0.5, 0.85) if self.classify else r.uniform(0.75, 0.9))
            gap = r.uniform(-0.03, 0.1)
            self.acc_max = r.uniform(0.2, 0.6)
        elif lab == "overfitting":
            tau = r.uniform(0.05, 0.2)
            val_rise = (r.uniform(0.2, 0.55), r.uniform(0.15, 0.6))  # t_best, rise
        elif lab == "decayed_too_early":
            t_cut = r.uniform(0.1, 0.35)
            factor = r.choice([0.1, 0.05, 0.01])
            lr = np.where(self.t < t_cut, 1.0, factor)
            tau = r.uniform(0.8, 1.6) * t_cut + 0.05
            floor = L0 * r.uniform(0.01, 0.08)
            self.log_lr = r.random() < 0.85 or self.family == "tune"
            if self.epoch_only:
                self.epoch_only = False
        p = self.clock(lr)
        if lab != "decayed_too_early":
            tau = tau * p[-1]  # tau is a fraction of the progress the schedule allows
        base = self.decay(p, tau)
        # The truth is defined on the noise-free curve, whatever the shape: a converged
        # run gains < 2% over its last 30%, a keep_training run >= 15%.
        def tail_gain(b):
            clean = floor + (start - floor) * b
            return (np.interp(0.7, self.t, clean) - clean[-1]) / clean[-1]

        if lab == "keep_training" and tail_gain(base) < 0.15:
            # the tail gain peaks at a moderate tau: take the slowest tau that reaches it
            for f in np.geomspace(2.0, 0.1, 30):
                if tail_gain(self.decay(p, f * p[-1])) >= 0.15:
                    tau = f * p[-1]
                    break
            else:
                floor = 0.0
            base = self.decay(p, tau)
        for _ in range(30):
            if lab == "keep_training" or tail_gain(base) < 0.02:
                break
            tau *= 0.75
            base = self.decay(p, tau)
        train = floor + (start - floor) * base
        if lab == "bad_init":
            variant = r.choice(["init", "hockey", "stuck"] if self.classify else ["hockey"])
            if variant == "init":
                self.hp["num_classes"] = self.C
                k = r.uniform(3, 20)
                train = train + (k - 1) * L0 * np.exp(-self.t / r.uniform(0.01, 0.04))
            elif variant == "hockey":
                t_flat = r.uniform(0.1, 0.35)
                q = np.clip(self.t - t_flat, 0, None)
                train = floor + (start - floor) * self.decay(q, tau)
                if self.epoch_only:
                    self.epoch_only = False
                if self.log_lr and r.random() < 0.5:
                    lr = np.ones_like(self.t)
            else:
                self.hp["num_classes"] = self.C
                train = np.full_like(self.t, L0)
                self.sigma = r.uniform(0.001, 0.01)
                grad = 10 ** (-(1 + 5 * np.clip(self.t * 4, 0, 1))) * r.uniform(0.5, 2)
                self.log_grad = True
                self.acc_max = 1 / self.C
        if lab == "lr_too_high":
            variant = r.choice(["diverge", "plateau", "oscillate"])
            if variant == "diverge":
                t_div = r.uniform(0.1, 0.8)
                boom = np.exp(np.clip(self.t - t_div, 0, None) * r.uniform(20, 60))
                train = train * boom
                if r.random() < 0.7:
                    train[self.t > t_div + 0.1] = r.choice([np.nan, np.inf])
                    if r.random() < 0.5:  # the trainer stops on NaN
                        keep = self.t <= t_div + 0.12
                        self._truncate(keep)
                        train, lr, base = train[keep], lr[keep], base[keep]
                        grad = None if grad is None else grad[keep]
            elif variant == "plateau":
                jump = 1 + r.uniform(0.2, 1.0) * np.exp(-((self.t - 0.1) / 0.03) ** 2)
                train = L0 * r.uniform(0.9, 1.2) * jump
                self.sigma = r.uniform(0.15, 0.35)
                grad = np.full_like(self.t, r.uniform(5, 50))
                self.acc_max = 1.5 / (self.C or 10)
            else:  # the trend itself swings: steps overshoot the valley again and again
                mid = L0 * r.uniform(0.3, 0.6)
                period = r.uniform(0.04, 0.15)
                swing = r.uniform(0.3, 0.6) * np.sin(2 * np.pi * self.t / period
                                                    + r.uniform(0, 2 * np.pi))
                train = (mid + (start - mid) * base) * (1 + swing * np.clip(self.t * 10, 0, 1))
                self.spiky = r.random() < 0.5
            gap = r.uniform(0.0, 0.2)
        if grad is None:
            grad = r.uniform(0.5, 5) * (0.2 + 0.8 * base) * self.noise(len(base), 0.2)
        self.emit(train, gap, val_rise, lr, grad, base)

    def _truncate(self, keep):
        self.steps, self.t = self.steps[keep], self.t[keep]
        self.n = int(keep.sum())
        self.n_val = min(self.n_val, self.n)

    def emit(self, train, gap, val_rise, lr, grad, base):
        r = self.rng
        n = len(train)
        train_logged = train * self.noise(n, self.sigma)
        if self.spiky:
            idx = r.choice(n, size=max(3, n // 200), replace=False)
            train_logged[idx] *= r.uniform(2, 4, len(idx))
        self.scalars["train/loss"] = (self.steps, train_logged)
        vi = np.unique(np.linspace(0, n - 1, self.n_val).round().astype(int))
        if self.epoch_only:
            vi = np.arange(n)
        val = train[vi] * (1 + gap) + 0.02 * self.L0
        if val_rise is not None:
            t_best, rise = val_rise
            tv = self.t[vi]
            vmin = np.interp(t_best, tv, val)
            frac = np.clip((tv - t_best) / (1 - t_best), 0, 1)
            val = np.where(tv > t_best, vmin * (1 + rise * frac ** 1.2), val)
        val = val * self.noise(len(vi), min(self.sigma, 0.03))
        if self.log_val:
            self.scalars["val/loss"] = (self.steps[vi], val)
        if self.log_acc:
            scale = 100.0 if self.percent else 1.0
            chance = 1.0 / self.C
            prog = 1 - np.clip(base, 0, 1)
            acc = chance + (self.acc_max - chance) * prog
            if self.label == "lr_too_high" and not np.all(np.isfinite(train)):
                acc = np.where(np.isfinite(train), acc, chance)
            self.scalars["train/acc"] = (self.steps, np.clip(acc * self.noise(n, 0.01), 0, 1)
                                         * scale)
            vacc = acc[vi] * (1 - 0.5 * max(gap, 0) * prog[vi])
            if val_rise is not None:
                tv = self.t[vi]
                vacc = np.where(tv > val_rise[0], vacc * (1 - 0.15 * val_rise[1] * (tv - val_rise[
                    0])), vacc)
            if self.log_val:
                self.scalars["val/acc"] = (self.steps[vi], np.clip(vacc, 0, 1) * scale)
        if self.log_lr:
            self.scalars["lr"] = (self.steps, lr * self.hp["lr"])
        if self.log_grad:
            self.scalars["grad_norm"] = (self.steps, grad)

    def run(self, rid):
        frames = []
        for tag, (s, v) in self.scalars.items():
            frames.append(pd.DataFrame({"tag": tag, "step": s.astype(np.int64),
                                        "value": v.astype(np.float64),
                                        "wall_time": 1.7e9 + s.astype(np.float64)}))
        df = pd.concat(frames, ignore_index=True)
        df.insert(0, "run", rid)
        df["run"] = df["run"].astype("category")
        df["tag"] = df["tag"].astype("category")
        roles = {"train_loss": "train/loss"}
        for role, tag in (("val_loss", "val/loss"), ("train_acc", "train/acc"),
                          ("val_acc", "val/acc"), ("lr", "lr"), ("grad_norm", "grad_norm")):
            if tag in self.scalars:
                roles[role] = tag
        hp = dict(self.hp, true_label=self.label)
        return Run(rid, rid.rsplit("/", 1)[-1], "synthetic", [], hp, roles, [], list(
            self.warnings), df)


def truth(run: Run) -> set[str]:
    """The labels a generated run was made to show (empty for healthy)."""
    lab = run.hparams.get("true_label")
    return set() if lab in (None, "healthy") else {lab}
