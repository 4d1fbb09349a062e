"""The data model every layer shares: the scalar frame, a run, what a reader returns.

See DESIGN.md, "Data model". Nothing here reads files; it only describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Columns of the canonical long frame, in order.
SCALAR_COLUMNS = ("run", "tag", "step", "value", "wall_time")

#: The roles a tag can play; accuracy stands for any "higher is better" metric.
ROLES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr", "grad_norm")


#: The roles that judge a run, best first, with whether higher is better: the metric a
#: runs list shows and a summary keeps.
JUDGED_ROLES = (("val_loss", False), ("val_acc", True), ("train_loss", False),
                ("train_acc", True))


def best_and_last(values: np.ndarray, higher: bool) -> tuple[float | None, float | None]:
    """The best finite value of a series in step order (NaN when none is finite) and its
    last value as logged; (None, None) for an empty series."""
    if values.size == 0:
        return None, None
    finite = values[np.isfinite(values)]
    best = float(finite.max() if higher else finite.min()) if finite.size else float("nan")
    return best, float(values[-1])


def last_attempt_rows(steps: np.ndarray) -> np.ndarray:
    """Which points of a series, in the order they were logged, its last attempt left: where
    the step goes back (a run restarted, or a log appended to by a new run), the points
    logged before at that step or later are dropped, as TensorBoard purges orphaned data.
    A step logged again right after itself is kept, as TensorBoard keeps it: several rows
    per step are common (per-batch values logged at the epoch's index, an evaluation after
    training at the last epoch's step). What is kept is in step order."""
    steps = np.asarray(steps)
    keep = np.ones(len(steps), dtype=bool)
    back = np.diff(steps) < 0
    if not back.any():
        return keep
    # a point stays when it lies below the start of every attempt logged after it: below
    # the least of those starts (each attempt purges what came before it from its start on)
    top = np.iinfo(steps.dtype).max if steps.dtype.kind in "iu" else np.inf
    starts = np.full(len(steps), top, dtype=steps.dtype)
    starts[1:][back] = steps[1:][back]
    later = np.minimum.accumulate(starts[::-1])[::-1]
    keep[:-1] = steps[:-1] < later[1:]
    return keep


def empty_scalars(with_run: bool = True) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    cols = SCALAR_COLUMNS if with_run else SCALAR_COLUMNS[1:]
    data: dict[str, Any] = {
        "run": pd.Categorical([]),
        "tag": pd.Categorical([]),
        "step": np.array([], dtype=np.int64),
        "value": np.array([], dtype=np.float64),
        "wall_time": np.array([], dtype=np.float64),
    }
    return pd.DataFrame({c: data[c] for c in cols})


@dataclass(frozen=True)
class RunSource:
    """Where one run lives: found by discovery, handed to its format's reader.

    ``id`` is the posix path of the run folder relative to the root ("." for the
    root itself). A run stored inside one file among others (an MLflow SQLite
    store) has the id ``<relative path of the file>#<inner id>`` and its ``key``
    is the inner id the reader needs.
    """

    id: str
    name: str
    format: str
    root: str
    files: tuple[str, ...]
    key: str | None = None
    #: Extra facts discovery learned that the reader needs (e.g. tag prefixes
    #: per file for a Keras run: {"<file>": "train/"}).
    options: tuple[tuple[str, str], ...] = ()
    #: The same training seen by several formats (an Ultralytics folder's event file and
    #: results.csv): one source per format, each read by its own reader. ``files`` is then
    #: every part's files and ``format`` their names joined by "+".
    parts: tuple[RunSource, ...] = ()
    #: What discovery has to say on the run (its id was taken by another run, ...).
    notes: tuple[str, ...] = ()

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)

    def part_of(self, path: str) -> RunSource:
        """The source whose format reads ``path``: the part holding it, else this source."""
        for part in self.parts:
            if path in part.files:
                return part
        return self


@dataclass
class FileRead:
    """What a format reader returns for one file of a run.

    ``scalars`` has the columns ``tag, step, value, wall_time`` (no ``run``).
    ``state`` is opaque to everyone but the reader: hand it back to read only
    what was appended since (byte offset, partial record, ...). What the caller acts on
    is a typed field, never a state key:

    - ``reset``: the file was read again from its start (it was replaced or rewritten);
      this read replaces, rather than extends, what was read from the file before.
    - ``tail_warning``: the one warning (also listed in ``warnings``) about the file's
      unfinished end (a half-written last record); it holds only until the next read.
    """

    scalars: pd.DataFrame
    hparams: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    reset: bool = False
    tail_warning: str | None = None


@dataclass
class Run:
    """One training run as a user thinks of it, with its scalars."""

    id: str
    name: str
    format: str
    sources: list[str]
    hparams: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scalars: pd.DataFrame = field(default_factory=empty_scalars)

    @property
    def group(self) -> str:
        """The folder that holds the run ("." for a run at the root)."""
        base = self.id.split("#", 1)[0]
        return base.rsplit("/", 1)[0] if "/" in base else "."

    @property
    def judged_role(self) -> tuple[str | None, bool]:
        """The role that judges the run (``JUDGED_ROLES``) and whether higher is better."""
        return next(((r, h) for r, h in JUDGED_ROLES if r in self.roles), (None, False))

    def series(self, role_or_tag: str) -> pd.DataFrame:
        """Rows of one role (or tag) as its last attempt left them (``last_attempt_rows``:
        a restart's earlier values at the steps it logged again are dropped), sorted by
        step: columns step, value, wall_time. ``scalars`` keeps every row as logged."""
        tag = self.roles.get(role_or_tag, role_or_tag)
        rows = self.scalars[self.scalars["tag"] == tag]
        rows = rows[last_attempt_rows(rows["step"].to_numpy())]
        return rows[["step", "value", "wall_time"]].sort_values("step", kind="stable")

    def to_dict(self) -> dict[str, Any]:
        """The run's description (no scalars), as the JSON contract lists it."""
        return {
            "run": self.id,
            "name": self.name,
            "format": self.format,
            "roles": dict(self.roles),
            "hparams": dict(self.hparams),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }
