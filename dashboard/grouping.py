"""Group runs (by folder level or by a hyper-parameter), aggregate their curves, read a sweep.

The sweep suggestion follows the coarse-to-fine search of the course notes:
after a coarse, log-spaced grid, search again, finer, around the best value,
between its neighbours; when the best value sits on the edge of the grid the
optimum may lie outside it, so the next range extends past that edge.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.dashboard.tables import val_metric
from curvedoc.ingest.model import Run


def folder_depth(runs: Sequence[Run]) -> int:
    """The deepest folder level among the runs' ids (0 when all runs sit at the root)."""
    return max((len(r.id.split("#", 1)[0].split("/")) - 1 for r in runs), default=0)


def group_options(runs: Sequence[Run]) -> list[dict[str, str]]:
    """Choices for "group by": the run's folder, each folder level, each hyper-parameter."""
    opts = [{"label": "folder of the run", "value": "folder"}]
    for level in range(1, folder_depth(runs)):
        opts.append({"label": f"folder level {level}", "value": f"folder:{level}"})
    for name in hparam_names(runs):
        opts.append({"label": f"hparam {name}", "value": f"hparam:{name}"})
    return opts


def hparam_names(runs: Sequence[Run], numeric_only: bool = False) -> list[str]:
    """Hyper-parameter names that at least two runs have (numeric values only if asked)."""
    count: Counter[str] = Counter()
    for r in runs:
        for k, v in r.hparams.items():
            if not numeric_only or _as_float(v) is not None:
                count[str(k)] += 1
    return sorted(k for k, n in count.items() if n >= 2)


def _as_float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def ancestor_folders(runs: Sequence[Run]) -> list[str]:
    """Every folder that holds runs, at any depth ("sweeps", "sweeps/lr", ...), sorted."""
    out: set[str] = set()
    for run in runs:
        parts = run.id.split("#", 1)[0].split("/")[:-1]
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(out)


def runs_under(runs: Sequence[Run], folder: str | None) -> list[Run]:
    """The runs inside ``folder`` (all runs for "" or None)."""
    if not folder:
        return list(runs)
    return [r for r in runs if r.id.startswith(folder.rstrip("/") + "/")]


def sweep_folder(runs: Sequence[Run], param: str) -> str:
    """The folder that looks like a sweep of ``param``: the one with the most distinct
    values of it while every other hyper-parameter (seeds aside) stays fixed; "" (all
    runs) when no folder does."""
    best, best_n = "", 0
    for folder in ancestor_folders(runs):  # parents first: an equal deeper folder wins
        members = runs_under(runs, folder)
        values = {_as_float(r.hparams.get(param)) for r in members} - {None}
        if len(values) < max(best_n, 2):
            continue
        others = {k for r in members for k in r.hparams if k != param and "seed" not in k}
        if all(len({repr(r.hparams.get(k)) for r in members}) == 1 for k in others):
            best, best_n = folder, len(values)
    return best


def group_key(run: Run, by: str) -> str:
    """The name of the group a run falls in for ``by`` ("folder", "folder:N", "hparam:NAME")."""
    if by.startswith("hparam:"):
        name = by.split(":", 1)[1]
        return f"{name}={run.hparams[name]}" if name in run.hparams else f"{name} not set"
    if by.startswith("folder:"):
        level = int(by.split(":", 1)[1])
        parts = run.id.split("#", 1)[0].split("/")[:-1]
        return "/".join(parts[:level]) if parts else "."
    return run.group


def group_runs(runs: Sequence[Run], by: str = "folder") -> dict[str, list[str]]:
    """Group name -> run ids, groups sorted by name (numerically where they are numbers)."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        groups.setdefault(group_key(run, by), []).append(run.id)

    def order(name: str) -> tuple:
        value = _as_float(name.split("=", 1)[1]) if "=" in name else None
        return (value is None, value if value is not None else 0.0, name)

    return {k: groups[k] for k in sorted(groups, key=order)}


def comparison_groups(runs: Sequence[Run], baseline: str, by: str = "folder"
                      ) -> dict[str, list[Run]]:
    """The baseline's group first, then the groups it is compared with (name -> runs).

    Grouped by folder, those beside the baseline (the same parent folder; every group
    when none is); grouped otherwise, every other group. KeyError when ``baseline`` is
    not a group of ``runs``. ``check --compare`` and the groups page both use this.
    """
    from curvedoc.diagnostics.compare_groups import sibling_groups

    by_id = {r.id: r for r in runs}
    groups = group_runs(runs, by)
    if baseline not in groups:
        raise KeyError(baseline)
    names = (sibling_groups(list(groups), baseline) if by == "folder"
             else [baseline, *(g for g in groups if g != baseline)])
    return {g: [by_id[rid] for rid in groups[g]] for g in names}


def default_baseline(names: Sequence[str]) -> str | None:
    """The group to compare with first: one named like a baseline, else the first."""
    return next((n for n in names if "baseline" in n.lower()), names[0] if names else None)


def label_counts(run_ids: Sequence[str], diagnoses: dict[str, Any]) -> dict[str, int]:
    """How many runs of a group carry each label ("healthy" for none)."""
    count: Counter[str] = Counter()
    for rid in run_ids:
        labels = list(getattr(diagnoses.get(rid), "labels", []) or [])
        count.update(labels or ["healthy"])
    return dict(sorted(count.items()))


def axis_kind(run: Run, metric: str | None) -> str:
    """Whether a run's ``metric`` is logged per "epoch" or per "step".

    Per epoch when the tag is a Keras epoch aggregate (``epoch_loss``), or when the run
    logs an ``epoch`` scalar equal to its step; runs of the two kinds never share an x axis.
    """
    tag = run.roles.get(metric or "", metric or "")
    if tag.rsplit("/", 1)[-1].lower().startswith("epoch_"):
        return "epoch"
    tags = [t for t in run.scalars["tag"].unique() if str(t).lower().rsplit("/", 1)[-1]
            == "epoch"]
    if tags:
        s = run.series(str(tags[0]))
        v = s["value"].to_numpy(np.float64)
        if len(v) > 1 and np.allclose(v, s["step"].to_numpy(np.float64)):
            return "epoch"
    return "step"


def aggregate_curves(runs: Sequence[Run], metric: str, n_grid: int = 400, *,
                     log: bool = False, cut: bool = True) -> pd.DataFrame:
    """Mean, std, min, max and count of ``metric`` across runs on a common step grid.

    Each run is interpolated on the grid only inside its own step range (no
    extrapolation); non-finite values are left out. With ``cut`` the curve stops where
    the shortest run ends (it never jumps where a member's data stops); without, ``n``
    says how many runs each point averages. With ``log`` the columns ``lmean``/``lstd``
    hold the mean and std of log10(value) for a band drawn in log space.
    """
    curves = []
    for run in runs:
        s = run.series(metric)
        y = s["value"].to_numpy(np.float64)
        ok = np.isfinite(y) & ((y > 0) if log else True)
        if ok.sum() >= 1:
            curves.append((s["step"].to_numpy(np.float64)[ok], y[ok]))
    cols = ["step", "mean", "std", "min", "max", "n"] + (["lmean", "lstd"] if log else [])
    if not curves:
        return pd.DataFrame(columns=cols)
    lo = min(c[0][0] for c in curves)
    hi = max(c[0][-1] for c in curves)
    all_steps = np.unique(np.concatenate([c[0] for c in curves]))
    grid = all_steps if all_steps.size <= n_grid else np.linspace(lo, hi, n_grid)
    stack = np.full((len(curves), grid.size), np.nan)
    for i, (x, y) in enumerate(curves):
        inside = (grid >= x[0]) & (grid <= x[-1])
        stack[i, inside] = np.interp(grid[inside], x, y)
    n = np.isfinite(stack).sum(axis=0)
    keep = n == len(curves) if cut else n > 0
    stack, grid, n = stack[:, keep], grid[keep], n[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "step": grid, "mean": np.nanmean(stack, axis=0),
            "std": np.nan_to_num(np.nanstd(stack, axis=0)),
            "min": np.nanmin(stack, axis=0), "max": np.nanmax(stack, axis=0), "n": n,
        }
        if log:
            logs = np.log10(stack)
            out.update(lmean=np.nanmean(logs, axis=0),
                       lstd=np.nan_to_num(np.nanstd(logs, axis=0)))
        return pd.DataFrame(out, columns=cols) if grid.size else pd.DataFrame(columns=cols)


def best_score(run: Run, metric: str | None = None) -> tuple[float | None, bool]:
    """The best finite value of ``metric`` (default: the run's validation metric)."""
    if metric is None:
        metric, higher = val_metric(run)
        if metric is None:
            return None, False
    else:
        higher = "acc" in metric or "top" in metric
    y = run.series(metric)["value"].to_numpy(np.float64)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return None, higher
    return float(y.max() if higher else y.min()), higher


def sweep_points(runs: Sequence[Run], diagnoses: dict[str, Any], param: str,
                 metric: str) -> pd.DataFrame:
    """One row per run with a numeric ``param``: value, best score, name, labels, and
    ``excluded``: why the run's metric is unusable for the suggestion (diverged: NaN/inf
    or a divergence finding; "" when it is usable)."""
    from curvedoc.diagnostics.compare_groups import unusable_reason

    rows = []
    for run in runs:
        v = _as_float(run.hparams.get(param))
        score, higher = best_score(run, metric)
        if v is None or score is None:
            continue
        d = diagnoses.get(run.id)
        labels = list(getattr(d, "labels", []) or [])
        rows.append({"id": run.id, "name": run.name, "value": v, "score": score,
                     "labels": " ".join(labels),
                     "excluded": unusable_reason(run, d, metric, higher) or ""})
    return pd.DataFrame(rows, columns=["id", "name", "value", "score", "labels", "excluded"])


def suggest_next_range(values: Sequence[float], scores: Sequence[float],
                       higher_is_better: bool) -> dict[str, Any] | None:
    """The next, finer search range around the best value of a coarse sweep.

    Runs that share a value (seeds) are averaged. Works on a log scale when every
    value is positive. Returns ``low``, ``high``,
    ``best``, ``log`` (bool), ``edge`` (the best value is at the grid's edge)
    and ``sentence`` (what to do), or None with fewer than two distinct values.
    """
    df = pd.DataFrame({"v": np.asarray(values, float), "s": np.asarray(scores, float)})
    df = df[np.isfinite(df["v"]) & np.isfinite(df["s"])]
    if df["v"].nunique() < 2:
        return None
    per_value = df.groupby("v")["s"].mean()  # repeats of a value (seeds) are averaged
    grid = per_value.index.to_numpy()
    best_i = int(np.argmax(per_value.to_numpy()) if higher_is_better
                 else np.argmin(per_value.to_numpy()))
    use_log = bool((grid > 0).all())
    t = np.log10(grid) if use_log else grid.astype(float)
    step_lo = t[best_i] - t[best_i - 1] if best_i > 0 else t[1] - t[0]
    step_hi = t[best_i + 1] - t[best_i] if best_i < len(t) - 1 else t[-1] - t[-2]
    lo_t = t[best_i - 1] if best_i > 0 else t[0] - step_lo
    hi_t = t[best_i + 1] if best_i < len(t) - 1 else t[-1] + step_hi
    edge = best_i in (0, len(t) - 1)
    back = (lambda u: float(10 ** u)) if use_log else float
    low, high, best = back(lo_t), back(hi_t), float(grid[best_i])
    scale = "log-uniformly" if use_log else "uniformly"
    if edge:
        sentence = (f"The best value {best:.3g} is at the edge of the grid, so the optimum may "
                    f"lie outside it: search {scale} over {low:.3g} – {high:.3g}, extending "
                    f"past the edge.")
    else:
        sentence = (f"Search again, finer and longer, {scale} over {low:.3g} – {high:.3g} "
                    f"(the neighbours of the best value {best:.3g}).")
    return {"low": low, "high": high, "best": best, "log": use_log, "edge": edge,
            "sentence": sentence}
