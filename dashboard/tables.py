"""Rows of the runs grid: one dict per run, JSON-ready, plus the filters on them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from curvedoc.dashboard.colors import LABEL_COLORS  # noqa: F401 (re-exported)
from curvedoc.dashboard.names import natural_key, one_line
from curvedoc.dashboard.safe_regex import BadPattern, searcher
from curvedoc.diagnostics import LABELS  # noqa: F401 (the labels, in badge order)
from curvedoc.ingest.model import Run
from curvedoc.ingest.model import best_and_last as best_of


def val_metric(run: Run) -> tuple[str | None, bool]:
    """The role that judges a run and whether higher is better: val loss, else val acc."""
    return run.judged_role


def validation_metric(run: Run) -> tuple[str | None, bool]:
    """The validation role of a run (val loss, else val accuracy), or None: never a
    training tag, so the runs grid's "Val metric" means what it says."""
    for role, higher in (("val_loss", False), ("val_acc", True)):
        if role in run.roles:
            return role, higher
    return None, False


def nonfinite_text(x: Any) -> str:
    """'NaN', '+inf' or '-inf' for a non-finite number, '' otherwise."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    return "" if math.isfinite(x) else ("+inf" if x > 0 else "-inf")


def _num(x: Any) -> float | None:
    """A JSON-safe float (None for NaN / inf / missing)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def best_and_last(run: Run, role: str | None, higher: bool) -> tuple[float | None, float | None]:
    """Best finite value of ``role`` and its last logged value (NaN/inf kept as logged)."""
    if role is None:
        return None, None
    return best_of(run.series(role)["value"].to_numpy(dtype=np.float64), higher)


def top_sentence(diagnosis: Any) -> str:
    """The top finding's message ("possible: ..." when it is only possible), or ''."""
    top = getattr(diagnosis, "top", None)
    if top is None:
        return ""
    return ("possible: " if getattr(top, "possible", False) else "") + one_line(top.message)


def run_row(run: Run, diagnosis: Any, live: bool = False) -> dict[str, Any]:
    """The runs-grid row of one run."""
    scalars = run.scalars
    steps = run.last_step()
    role, higher = validation_metric(run)
    best, last = best_and_last(run, role, higher)
    labels = list(getattr(diagnosis, "labels", []) or [])
    possible = list(getattr(diagnosis, "possible_labels", []) or [])
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
        "best": _num(best),
        "best_note": nonfinite_text(best),
        "last": _num(last),
        "last_note": nonfinite_text(last),
        "labels": labels if labels else ["healthy"],
        "possible": possible,
        "label_text": " ".join([*(labels or ["healthy"]), *(f"possible {p}" for p in possible)]),
        "top": top_sentence(diagnosis),
        "findings": len(getattr(diagnosis, "findings", []) or []),
        "problems": "; ".join(problems + list(run.warnings)),
        "live": bool(live),
    }


def run_rows(state: Any, hparams: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows for every run the state knows, in natural order of their ids: the cached row,
    a fresh live flag, the run's unambiguous name and session colour, and the value of
    each hyper-parameter in ``hparams`` as field ``hp<i>``."""
    from curvedoc.dashboard.runstyle import run_style

    style = run_style(state)
    names = list(hparams or [])
    rows = []
    for rid in sorted(state.runs, key=natural_key):
        row = {**state.row(rid), "live": state.is_live(rid), "name": style.name(rid),
               "color": style.color(rid)}
        hp = state.runs[rid].hparams
        for i, name in enumerate(names):
            row[f"hp{i}"] = hparam_cell(hp[name]) if name in hp else None
        rows.append(row)
    return rows


def hparam_cell(value: Any) -> Any:
    """A hyper-parameter as a grid cell: numbers stay numbers (they sort), the rest text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            return nonfinite_text(f)
        return int(f) if f.is_integer() and abs(f) < 1e15 else f
    return one_line(str(value))[:200]


def varying_hparams(runs: Any, limit: int | None = None) -> list[str]:
    """Hyper-parameter names whose value differs between runs (most informative first:
    fewest runs missing it), then by natural order; at most ``limit``."""
    values: dict[str, set[str]] = {}
    present: dict[str, int] = {}
    for run in runs:
        for k, v in run.hparams.items():
            values.setdefault(str(k), set()).add(repr(v))
            present[str(k)] = present.get(str(k), 0) + 1
    names = [k for k, vs in values.items() if len(vs) > 1 or present[k] < len(runs)]
    names.sort(key=lambda k: (-present[k], natural_key(k)))
    return names[:limit] if limit is not None else names


def all_hparams(runs: Any) -> list[str]:
    """Every hyper-parameter name any run logged, in natural order."""
    return sorted({str(k) for run in runs for k in run.hparams}, key=natural_key)


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
