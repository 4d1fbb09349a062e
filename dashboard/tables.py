"""Rows of the runs grid: one dict per run, JSON-ready, plus the filters on them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.dashboard.safe_regex import BadPattern, searcher
from curvedoc.ingest.model import Run

#: The diagnosis labels, in the order the badges show them.
LABELS = (
    "bad_init", "lr_too_high", "decayed_too_early", "keep_training", "overfitting", "underfitting",
)

#: One colour per label (badges, evidence spans); "healthy" when a run has none.
LABEL_COLORS = {
    "bad_init": "#6f42c1",
    "lr_too_high": "#dc3545",
    "decayed_too_early": "#fd7e14",
    "keep_training": "#0d6efd",
    "overfitting": "#d63384",
    "underfitting": "#6c757d",
    "healthy": "#198754",
    "pending": "#adb5bd",
}


def val_metric(run: Run) -> tuple[str | None, bool]:
    """The role that judges a run and whether higher is better: val loss, else val acc."""
    for role, higher in (("val_loss", False), ("val_acc", True), ("train_loss", False),
                         ("train_acc", True)):
        if role in run.roles:
            return role, higher
    return None, False


def _num(x: Any) -> float | None:
    """A JSON-safe float (None for NaN / inf / missing)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def best_and_last(run: Run, role: str | None, higher: bool) -> tuple[float | None, float | None]:
    """Best finite value of ``role`` and its last logged value (None when not finite)."""
    if role is None:
        return None, None
    values = run.series(role)["value"].to_numpy(dtype=np.float64)
    if values.size == 0:
        return None, None
    finite = values[np.isfinite(values)]
    best = (finite.max() if higher else finite.min()) if finite.size else None
    return _num(best), _num(values[-1])


def run_row(run: Run, diagnosis: Any, live: bool = False) -> dict[str, Any]:
    """The runs-grid row of one run."""
    scalars = run.scalars
    steps = int(scalars["step"].max()) if len(scalars) else 0
    role, higher = val_metric(run)
    best, last = best_and_last(run, role, higher)
    labels = list(getattr(diagnosis, "labels", []) or [])
    problems = list(run.errors)
    if getattr(diagnosis, "error", None):
        problems.append(diagnosis.error)
    return {
        "id": run.id,
        "name": run.name,
        "group": run.group,
        "format": run.format,
        "steps": steps,
        "points": len(scalars),
        "metric": run.roles.get(role, "") if role else "",
        "best": best,
        "last": last,
        "labels": labels if labels else ["healthy"],
        "label_text": " ".join(labels) if labels else "healthy",
        "findings": len(getattr(diagnosis, "findings", []) or []),
        "problems": "; ".join(problems + list(run.warnings)),
        "live": bool(live),
    }


def run_rows(state: Any) -> list[dict[str, Any]]:
    """Rows for every run the state knows, sorted by id (cached rows + a fresh live flag)."""
    return [{**state.row(rid), "live": state.is_live(rid)} for rid in state.runs]


def filter_rows(
    rows: list[dict[str, Any]],
    name_regex: str | None = None,
    labels: list[str] | None = None,
    groups: list[str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows that match every given filter, and an error message for a bad regex.

    ``name_regex`` is searched (case-insensitive) in the name and id; ``labels``
    keeps runs with any of the labels ("healthy" for none); ``groups`` keeps runs
    in any of the groups. A regex that does not compile filters nothing and says why.
    """
    message = None
    out = rows
    if name_regex:
        try:
            found = searcher(name_regex)  # linear time: a typed pattern never stalls the server
        except BadPattern as exc:
            message = f"Not a usable regular expression: {exc}; showing all names."
        else:
            out = [r for r in out if found(r["name"]) or found(r["id"])]
    if labels:
        wanted = set(labels)
        out = [r for r in out if wanted.intersection(r["labels"])]
    if groups:
        wanted = set(groups)
        out = [r for r in out if r["group"] in wanted]
    return out, message


#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with text cells that a spreadsheet would run as a formula made plain text.

    Run and tag names come from the logs; a tag named ``=HYPERLINK(...)`` must not become
    a live formula when the download is opened in a spreadsheet, so it gets a leading '.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out
